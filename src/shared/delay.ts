import type { PipelineRequest } from "@azure/core-rest-pipeline";
import { clearWorkTimeout, setWorkTimeout } from "./backgroundTimers.js";
import { MAX_TIMER_MS } from "./timerBound.js";
import { createAbortError } from "./abort.js";

type AbortSignalLike = NonNullable<PipelineRequest["abortSignal"]>;

/**
 * Waits `ms`, or rejects with an `AbortError` as soon as `signal` aborts. Leaves no timer or
 * listener behind either way. The wait of a background refresh does not hold the process.
 * @internal
 */
export function delay(ms: number, signal: AbortSignalLike | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(createAbortError());
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout>;
    const onAbort = (): void => {
      clearWorkTimeout(timer, signal);
      signal?.removeEventListener("abort", onAbort);
      reject(createAbortError());
    };
    // A wait longer than one timer allows (a Retry-After of weeks) is made of several.
    const wait = (remaining: number): void => {
      timer = setWorkTimeout(
        () => {
          if (remaining > MAX_TIMER_MS) return wait(remaining - MAX_TIMER_MS);
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        Math.min(remaining, MAX_TIMER_MS),
        signal,
      );
    };
    wait(ms);
    signal?.addEventListener("abort", onAbort);
  });
}
