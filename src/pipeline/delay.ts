import type { PipelineRequest } from "@azure/core-rest-pipeline";
import { createAbortError } from "../token/abort.js";

type AbortSignalLike = NonNullable<PipelineRequest["abortSignal"]>;

/**
 * Waits `ms`, or rejects with an `AbortError` as soon as `signal` aborts. Leaves no timer or
 * listener behind either way.
 * @internal
 */
export function delay(ms: number, signal: AbortSignalLike | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(createAbortError());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      reject(createAbortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort);
  });
}
