import { type PipelinePolicy, RestError } from "@azure/core-rest-pipeline";
import { clearWorkTimeout, inheritBackground, setWorkTimeout } from "../shared/backgroundTimers.js";
import { afterPendingIo } from "../shared/afterPendingIo.js";
import { timerBound } from "../shared/timerBound.js";
import { TRY_TIMEOUT_CODE } from "./networkErrors.js";

/** The name of {@link tryTimeoutPolicy}. */
export const tryTimeoutPolicyName = "tryTimeoutPolicy";

/**
 * Bounds one try, from connecting to the last byte of the body, and fails it with code
 * `TRY_TIMEOUT` (which the retry policies retry). core-rest-pipeline's own `timeout` stops
 * counting once the headers arrive, so an endpoint that hangs in the body would hang forever.
 * The caller's abort signal still cancels the try at once. A bound of 0, a negative number or
 * `Infinity` means no bound, as core-rest-pipeline's own `timeout: 0` does.
 */
export function tryTimeoutPolicy(timeoutInMs: number): PipelinePolicy {
  const timerMs = timerBound(timeoutInMs);
  return {
    name: tryTimeoutPolicyName,
    async sendRequest(request, next) {
      const outer = request.abortSignal;
      if (outer?.aborted || timerMs === undefined) return next(request);
      const controller = new AbortController();
      // The try's sockets belong to the request's work: unref'd when nobody waits for it.
      inheritBackground(outer, controller.signal);
      let timedOut = false;
      let settled = false;
      const onAbort = (): void => controller.abort();
      // A background refresh's try does not hold the process.
      const timer = setWorkTimeout(
        () =>
          // Not before an answer that arrived while this process had no CPU is read (a start storm).
          afterPendingIo(() => {
            if (settled) return;
            timedOut = true;
            controller.abort();
          }),
        timerMs,
        outer,
      );
      outer?.addEventListener("abort", onAbort);
      request.abortSignal = controller.signal;
      try {
        return await next(request);
      } catch (error) {
        if (timedOut) {
          throw new RestError(`no complete answer within ${timeoutInMs} ms`, { code: TRY_TIMEOUT_CODE });
        }
        throw error;
      } finally {
        settled = true;
        clearWorkTimeout(timer, outer);
        outer?.removeEventListener("abort", onAbort);
        request.abortSignal = outer;
      }
    },
  };
}
