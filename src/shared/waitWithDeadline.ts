import { createAbortError } from "./abort.js";
import { timerBound } from "./timerBound.js";

/** The AbortSignal shape both the DOM and core-rest-pipeline use. */
type SignalLike = Pick<AbortSignal, "aborted" | "addEventListener" | "removeEventListener">;

/** The caller's limits on one wait. */
export interface Deadline {
  /** Stops this caller's wait with an `AbortError` (the awaited work goes on). */
  readonly abortSignal?: SignalLike | undefined;
  /** The caller's timeout in milliseconds as given; 0, negative, `NaN` or `Infinity` is no bound. */
  readonly timeoutInMs?: number | undefined;
  /** The error for a timeout, given the timeout as the caller gave it. */
  readonly timeoutError: (timeoutInMs: number) => Error;
  /** Called once when this caller stops waiting, whichever way (settled, aborted, timed out). */
  readonly onDone?: () => void;
}

/**
 * Waits for `promise` within the caller's abort signal and timeout. Whatever ends the wait first settles
 * the result; the listener and the timer are removed at once, so nothing outlives the wait but the
 * handlers on `promise` itself, which let go when it settles. Stopping the wait never stops the work, and
 * a rejection that comes after the caller left is handled (never unhandled).
 * @internal
 */
export function waitWithDeadline<T>(promise: Promise<T>, deadline: Deadline): Promise<T> {
  const { abortSignal: signal, onDone } = deadline;
  const timeout = timerBound(deadline.timeoutInMs);
  if (signal?.aborted) {
    // Nobody waits: keep a later rejection from being unhandled.
    promise.catch(() => undefined);
    onDone?.();
    return Promise.reject(createAbortError());
  }
  if (signal === undefined && timeout === undefined) {
    if (onDone === undefined) return promise;
    return promise.then(
      (value) => {
        onDone();
        return value;
      },
      (error: unknown) => {
        onDone();
        throw error;
      },
    );
  }
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      onDone?.();
      settle();
    };
    const onAbort = (): void => finish(() => reject(createAbortError()));
    signal?.addEventListener("abort", onAbort);
    if (timeout !== undefined) {
      timer = setTimeout(() => finish(() => reject(deadline.timeoutError(deadline.timeoutInMs!))), timeout);
    }
    promise.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
