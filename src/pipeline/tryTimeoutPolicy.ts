import { type PipelinePolicy, RestError } from "@azure/core-rest-pipeline";
import { TRY_TIMEOUT_CODE } from "./networkErrors.js";

/** The name of {@link tryTimeoutPolicy}. */
export const tryTimeoutPolicyName = "tryTimeoutPolicy";

/**
 * Bounds one try, from connecting to the last byte of the body, and fails it with code
 * `TRY_TIMEOUT` (which the retry policies retry). core-rest-pipeline's own `timeout` stops
 * counting once the headers arrive, so an endpoint that hangs in the body would hang forever.
 * The caller's abort signal still cancels the try at once.
 */
export function tryTimeoutPolicy(timeoutInMs: number): PipelinePolicy {
  return {
    name: tryTimeoutPolicyName,
    async sendRequest(request, next) {
      const outer = request.abortSignal;
      if (outer?.aborted) return next(request);
      const controller = new AbortController();
      let timedOut = false;
      const onAbort = (): void => controller.abort();
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutInMs);
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
        clearTimeout(timer);
        outer?.removeEventListener("abort", onAbort);
        request.abortSignal = outer;
      }
    },
  };
}
