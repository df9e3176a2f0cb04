/**
 * Where a command writes: stdout for its result (a token, a report, the emulator's settings),
 * stderr for errors, progress and logs. `isTTY` decides whether a spinner is drawn.
 * @internal
 */
export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** The streams of one run of the command line. @internal */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
}
