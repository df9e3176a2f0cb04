import type { PipelinePolicy, PipelineRequest, PipelineResponse } from "@azure/core-rest-pipeline";
import { logger } from "../logger.js";
import { checkRetryOptions } from "../optionChecks.js";
import type { ManagedIdentityRetryOptions } from "../options.js";
import { backoff } from "../shared/backoff.js";
import { delay } from "../shared/delay.js";
import { isTransientNetworkError } from "./networkErrors.js";
import { parseRetryAfter } from "./retryAfter.js";

/** The name of {@link imdsRetryPolicy}. */
export const imdsRetryPolicyName = "imdsRetryPolicy";
/** The name of {@link managedIdentityRetryPolicy}. */
export const managedIdentityRetryPolicyName = "managedIdentityRetryPolicy";

/** IMDS says it is back within 70 s of a 410 (it is being updated). */
const IMDS_GONE_MIN_RETRY_MS = 70_000;
const DEFAULT_RETRY_DELAY_MS = 800;
const DEFAULT_MAX_RETRY_DELAY_MS = 60_000;
/** The shortest wait between the retries made past `maxRetries` to cover a minimum retry time. */
const MIN_EXTRA_RETRY_DELAY_MS = 1_000;

interface RetryRules {
  name: string;
  defaultMaxRetries: number;
  retriable(status: number): boolean;
  /** Keep retrying this status until the back-offs add up to at least this long, whatever `maxRetries` says. */
  minimumRetryTime?: { status: number; ms: number };
}

function retryPolicy(rules: RetryRules, options: ManagedIdentityRetryOptions = {}): PipelinePolicy {
  checkRetryOptions(options);
  const maxRetries = options.maxRetries ?? rules.defaultMaxRetries;
  const maxDelay = options.maxRetryDelayInMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const backoffRule = { initialMs: options.retryDelayInMs ?? DEFAULT_RETRY_DELAY_MS, maxMs: maxDelay, jitter: true };

  return {
    name: rules.name,
    async sendRequest(request: PipelineRequest, next) {
      let waited = 0;
      for (let retry = 0; ; retry++) {
        let response: PipelineResponse | undefined;
        let failure: unknown;
        try {
          response = await next(request);
        } catch (error) {
          // A refused endpoint, a caller's abort, or anything unknown: no retry, the answer comes at once.
          if (request.abortSignal?.aborted || !isTransientNetworkError(error)) throw error;
          failure = error;
        }
        if (response !== undefined && !rules.retriable(response.status)) return response;

        const retryAfter = response && parseRetryAfter(response);
        let wait = retryAfter ?? backoff(retry + 1, backoffRule);
        const mustKeepTrying =
          rules.minimumRetryTime !== undefined &&
          response?.status === rules.minimumRetryTime.status &&
          waited < rules.minimumRetryTime.ms;
        if ((retry >= maxRetries && !mustKeepTrying) || wait > maxDelay) {
          if (response !== undefined) return response;
          throw failure;
        }
        // Past maxRetries only to cover the minimum retry time: a zero delay (retryDelayInMs 0,
        // Retry-After 0) would otherwise never add up to it and turn into a request storm.
        if (retry >= maxRetries) wait = Math.max(wait, MIN_EXTRA_RETRY_DELAY_MS);
        logger.info(
          `${rules.name}: ${response ? `status ${response.status}` : `connection error (${(failure as Error).message})`}; retry ${retry + 1} in ${Math.round(wait)} ms`,
        );
        await delay(wait, request.abortSignal);
        // Timers drop the fraction of a millisecond: count what was really waited, or 70 s falls short.
        waited += Math.floor(wait);
      }
    },
  };
}

/**
 * The retry policy for IMDS, after Microsoft's guidance for the managed identity endpoint:
 * retries 404, 408, 410, 429 and 5xx with exponential back-off and jitter, honours `Retry-After`
 * (seconds or an HTTP-date), retries 410 for at least 70 s in total whatever the jitter, retries a
 * reset connection or a try that timed out, and never retries 400, 401 or 403 nor a refused or
 * unreachable endpoint (that means no IMDS here, and the answer must come at once).
 *
 * @example
 * ```ts
 * pipeline.addPolicy(imdsRetryPolicy({ maxRetries: 3 }));
 * ```
 * @throws `TypeError` when a number in `options` is not a whole number in its range.
 */
export function imdsRetryPolicy(options?: ManagedIdentityRetryOptions): PipelinePolicy {
  return retryPolicy(
    {
      name: imdsRetryPolicyName,
      defaultMaxRetries: 5,
      retriable: (status) => status === 404 || status === 408 || status === 410 || status === 429 || status >= 500,
      minimumRetryTime: { status: 410, ms: IMDS_GONE_MIN_RETRY_MS },
    },
    options,
  );
}

/**
 * The retry policy for the other managed identity endpoints: retries 408, 429 and 5xx a few times
 * (3 by default) with exponential back-off and jitter, honours `Retry-After`, retries a reset
 * connection or a try that timed out, and never retries other statuses or a refused endpoint.
 * @throws `TypeError` when a number in `options` is not a whole number in its range.
 */
export function managedIdentityRetryPolicy(options?: ManagedIdentityRetryOptions): PipelinePolicy {
  return retryPolicy(
    {
      name: managedIdentityRetryPolicyName,
      defaultMaxRetries: 3,
      retriable: (status) => status === 408 || status === 429 || status >= 500,
    },
    options,
  );
}
