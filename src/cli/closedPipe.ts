/**
 * Makes a write to a closed pipe (`token | head -c1`, `doctor | true`) end quietly: the reader has
 * gone, so the rest of the output is dropped and the command still ends with its own exit code,
 * instead of Node's "Unhandled 'error' event … EPIPE" stack trace and exit code 1 ("no token").
 * Any other stream error is still thrown.
 * @internal
 */
export function dropOutputOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") return;
    throw error;
  });
}
