import type { CliStream } from "./io.js";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/** A quick answer draws nothing: the spinner appears only once a wait is noticeable. */
export const PROGRESS_DELAY_MS = 300;
const FRAME_MS = 80;
const CLEAR_LINE = "\r\x1b[2K";

/**
 * Draws a spinner with the elapsed time on `stream` while `work` runs — only when the stream is a
 * terminal, so that logs and pipes get no control characters — and erases it when `work` settles.
 * Returns what `work` returns.
 * @internal
 */
export async function withProgress<T>(stream: CliStream, label: string, work: Promise<T>): Promise<T> {
  if (stream.isTTY !== true) return work;
  const started = Date.now();
  let frame = 0;
  let drawn = false;
  let interval: NodeJS.Timeout | undefined;
  const draw = (): void => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    stream.write(`${CLEAR_LINE}${FRAMES[frame++ % FRAMES.length]} ${label} (${seconds} s)`);
    drawn = true;
  };
  const delay = setTimeout(() => {
    draw();
    interval = setInterval(draw, FRAME_MS);
    interval.unref();
  }, PROGRESS_DELAY_MS);
  // The spinner never keeps the process alive on its own.
  delay.unref();
  try {
    return await work;
  } finally {
    clearTimeout(delay);
    clearInterval(interval);
    if (drawn) stream.write(CLEAR_LINE);
  }
}
