import os from "node:os";
import type { PipelinePolicy, PipelineRequest, PipelineResponse } from "@azure/core-rest-pipeline";
import { logger } from "../logger.js";
import { checkRetryOptions } from "../optionChecks.js";
import type { ManagedIdentityRetryOptions } from "../options.js";
import { backoff } from "../shared/backoff.js";
import { delay } from "../shared/delay.js";
import { imdsHostQueue, type ImdsHostQueue } from "./imdsHostQueue.js";
import { isTransientNetworkError } from "./networkErrors.js";
import { parseRetryAfter } from "./retryAfter.js";

/** The name of {@link imdsRetryPolicy}. */
export const imdsRetryPolicyName = "imdsRetryPolicy";
/** The name of {@link managedIdentityRetryPolicy}. */
export const managedIdentityRetryPolicyName = "managedIdentityRetryPolicy";

/** IMDS says it is back within 70 s of a 410 (it is being updated). */
const IMDS_GONE_MIN_RETRY_MS = 70_000;
/**
 * IMDS throttling (429) is retried for at least this long when `maxRetries` is left at its default: a host that
 * starts 1500 processes at once needs 75 s of IMDS's 20 tokens a second to serve them all.
 */
const IMDS_THROTTLED_MIN_RETRY_MS = 90_000;
/** IMDS serves about 20 token requests a second per VM. */
const IMDS_TOKEN_INTERVAL_MS = 50;
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
  /**
   * How a 429 is retried: for at least `minimumMs` when `maxRetries` is left at its default, no sooner than its
   * `Retry-After`, with full jitter over a window that doubles (and, with `hostQueue`, in turn with the other
   * processes of this host that wait for the same endpoint). Without it, a 429 backs off like a 5xx.
   */
  throttled?: { minimumMs: number; hostQueue: boolean };
}

function retryPolicy(rules: RetryRules, options: ManagedIdentityRetryOptions = {}): PipelinePolicy {
  checkRetryOptions(options);
  const maxRetries = options.maxRetries ?? rules.defaultMaxRetries;
  const maxDelay = options.maxRetryDelayInMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const backoffRule = { initialMs: options.retryDelayInMs ?? DEFAULT_RETRY_DELAY_MS, maxMs: maxDelay, jitter: true };
  // Read once, at construction, as everything a credential reads from its environment.
  const queueFolder = rules.throttled?.hostQueue ? os.tmpdir() : undefined;
  const queues = new Map<string, ImdsHostQueue | undefined>();
  const queueFor = (url: string): ImdsHostQueue | undefined => {
    if (queueFolder === undefined) return undefined;
    // The scheme and authority, without parsing the whole URL on every request.
    const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+/i.exec(url)?.[0].toLowerCase();
    if (origin === undefined) return undefined;
    if (!queues.has(origin)) queues.set(origin, imdsHostQueue(origin, queueFolder));
    return queues.get(origin);
  };
  // Full jitter: uniform over a window twice the exponential delay (the same mean), so that processes
  // throttled together spread over the whole window, not over its second half; never sooner than one
  // twentieth of a second (IMDS's rate), unless retryDelayInMs 0 asks for retries at once.
  const fullJitter = (throttles: number): number => {
    const window = Math.min(backoff(throttles + 1, { ...backoffRule, jitter: false }) * 2, maxDelay);
    return Math.max(Math.min(IMDS_TOKEN_INTERVAL_MS, window), Math.random() * window);
  };
  /**
   * The wait after the `throttles`-th (from 0) 429 of this request, no sooner than its `Retry-After` (a `Retry-After`
   * alone would send every process throttled together back together).
   */
  const throttledWait = (throttles: number, queue: ImdsHostQueue | undefined, retryAfter = 0): number => {
    const slot = queue?.join(Date.now(), retryAfter, maxDelay);
    if (slot === undefined) return Math.max(retryAfter, fullJitter(throttles));
    // The first 429: the host's turn alone. Again throttled in its turn (other hosts' or users' processes share
    // this IMDS): never sooner than this process's own back-off either.
    return throttles === 0 ? slot : Math.max(slot, fullJitter(throttles - 1));
  };

  return {
    name: rules.name,
    async sendRequest(request: PipelineRequest, next) {
      const queue = queueFor(request.url);
      // Processes of this host are queued for IMDS right now: take a turn rather than add one more 429.
      const ahead = queue === undefined ? 0 : queue.waitBehindOthers(Date.now(), maxDelay);
      if (ahead > 0) {
        logger.info(`${rules.name}: IMDS is throttling this host; waiting ${Math.round(ahead)} ms for a turn`);
        await delay(ahead, request.abortSignal);
      }
      let waited = 0;
      let throttles = 0;
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
        // IMDS's throttle (a Retry-After longer than the caller's longest wait is a refusal, below).
        const throttled =
          rules.throttled !== undefined &&
          response?.status === 429 &&
          (retryAfter === undefined || retryAfter <= maxDelay);
        let wait = throttled
          ? throttledWait(throttles++, queue, retryAfter)
          : (retryAfter ?? backoff(retry + 1, backoffRule));
        // The time budget stands in for the default count only: an explicit maxRetries is the caller's choice.
        // A maxRetryDelayInMs under the 1 s between extra retries asks for quick answers: the budget is off too.
        const minimumMs = throttled
          ? options.maxRetries === undefined && maxDelay >= MIN_EXTRA_RETRY_DELAY_MS
            ? rules.throttled!.minimumMs
            : undefined
          : response !== undefined && response.status === rules.minimumRetryTime?.status
            ? rules.minimumRetryTime.ms
            : undefined;
        const mustKeepTrying = minimumMs !== undefined && waited < minimumMs;
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
 * (seconds or an HTTP-date), retries 410 for at least 70 s in total whatever the jitter, retries a 429
 * (IMDS's throttle: 20 token requests a second per VM) for at least 90 s (unless `maxRetries` is given: then
 * that many times; or `maxRetryDelayInMs` is under 1 s: then the default count), no sooner than its
 * `Retry-After`, with full jitter over a doubling window, in turn with the other processes of this host that
 * IMDS throttles (a queue file in the temporary folder, touched only once IMDS has throttled this host; a turn
 * further away than `maxRetryDelayInMs` is not taken), retries a
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
      throttled: { minimumMs: IMDS_THROTTLED_MIN_RETRY_MS, hostQueue: true },
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
