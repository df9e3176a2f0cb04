// Fault soak: 10,000 getToken calls from 50 concurrent callers against a loopback endpoint that
// misbehaves at random, under a fake clock that jumps over retry delays whenever no request is in
// flight. Checks: no unhandled rejection, every call a valid token for its own resource or the
// package's error, upstream traffic within what caching and retries allow, no memory kept per call.
import type { AccessToken } from "@azure/core-auth";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import nock from "nock";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthenticationError, CredentialUnavailableError, ImdsCredential } from "../../src/index.js";
import { settleWithFakeClock, useFakeClock } from "../helpers/fakeClock.js";
import { type FaultEndpoint, soakTokenPrefix, startFaultEndpoint } from "../helpers/faultEndpoint.js";

const realSetImmediate = globalThis.setImmediate;

// A forced full GC makes heap figures and WeakRefs meaningful; V8 lets a running process expose it.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const CALLERS = 50;
const CALLS = 10_000;
const WARM_UP_CALLS = 2_000;
/** The soak's short run is calls 2,000 to 4,000; its long run, three times as long, 4,000 to 10,000. */
const SHORT_RUN_END = 4_000;
/** Distinct resources: each needs its own upstream token. */
const RESOURCES = 100;
/** Every CLAIMS_EVERY-th call carries claims, which bypass the cache. */
const CLAIMS_EVERY = 10;
const TOKEN_LIFETIME_S = 24 * 3600;

const RETRY = { maxRetries: 3, retryDelayInMs: 1_000, maxRetryDelayInMs: 8_000 };
/**
 * The most tries one token request can make (the bound the upstream count is checked against):
 * 1 + maxRetries, then IMDS keeps retrying a 410 until its waits add up to 70 s; past maxRetries
 * each wait is at least half of min(retryDelayInMs * 2^maxRetries, maxRetryDelayInMs) = 4 s
 * (jitter takes off at most half), so at most ceil(70 / 4) = 18 more. A Retry-After longer than
 * maxRetryDelayInMs ends the retries at once; one up to 2 s is only asked for on a 429, which is
 * never retried past maxRetries.
 */
const MAX_TRIES_PER_REQUEST =
  1 +
  RETRY.maxRetries +
  Math.ceil(70_000 / (Math.min(RETRY.retryDelayInMs * 2 ** RETRY.maxRetries, RETRY.maxRetryDelayInMs) / 2));

const scopeOf = (call: number): string => `https://soak-${call % RESOURCES}.example/.default`;

/** One in SAMPLE_EVERY requests and calls is watched for leaks (watching all would itself take memory). */
const SAMPLE_EVERY = 10;

/**
 * Counts token requests (per call) and tries (per retry), and keeps weak references to a sample of
 * requests, their headers and abort signals, and of the callers' promises and options.
 */
function counters(): {
  perCall: PipelinePolicy;
  perRetry: PipelinePolicy;
  watch(...objects: object[]): void;
  requests: () => number;
  tries: () => number;
  inFlight: () => number;
  /** How many watched objects are still reachable. */
  alive: () => number;
} {
  let requests = 0;
  let tries = 0;
  let inFlight = 0;
  const refs: WeakRef<object>[] = [];
  const watch = (...objects: object[]): void => {
    for (const o of objects) refs.push(new WeakRef(o));
  };
  return {
    watch,
    requests: () => requests,
    tries: () => tries,
    inFlight: () => inFlight,
    alive: () => refs.filter((r) => r.deref() !== undefined).length,
    perCall: {
      name: "soakRequestCounter",
      sendRequest(request, next) {
        if (++requests % SAMPLE_EVERY === 0)
          watch(request, request.headers, ...(request.abortSignal ? [request.abortSignal] : []));
        return next(request);
      },
    },
    perRetry: {
      name: "soakTryCounter",
      async sendRequest(request, next) {
        tries++;
        inFlight++;
        try {
          return await next(request);
        } finally {
          inFlight--;
        }
      },
    },
  };
}

interface Outcomes {
  tokens: number;
  authenticationErrors: number;
  unavailable: number;
  claimsCalls: number;
  /** Anything else: a wrong token, an invalid expiry, another kind of error. Must stay empty. */
  bad: string[];
}

async function heapAfterGc(): Promise<number> {
  // WeakRefs and finalizers settle only between jobs; collect twice across a turn of the loop.
  await new Promise<void>((resolve) => realSetImmediate(resolve));
  gc();
  await new Promise<void>((resolve) => realSetImmediate(resolve));
  gc();
  return process.memoryUsage().heapUsed;
}

describe("fault soak", () => {
  let endpoint: FaultEndpoint;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeEach(async () => {
    endpoint = await startFaultEndpoint({
      seed: 20_260_115,
      weights: {
        ok: 40,
        slow: 6,
        gone410: 8,
        throttled429: 6,
        throttled429RetryAfter: 6,
        throttled429RetryAfterTooLong: 2,
        error500: 8,
        unavailable503: 8,
        reset: 8,
        truncated: 8,
      },
      tokenLifetimeSeconds: TOKEN_LIFETIME_S,
      tooLongRetryAfterSeconds: 30,
    });
    process.on("unhandledRejection", onUnhandled);
    // nock's interceptor keeps about 1.5 kB per request it passes through, which would drown the
    // package's own memory use; every connection here goes to the 127.0.0.1 endpoint above.
    nock.restore();
    useFakeClock();
  });

  afterEach(async () => {
    vi.useRealTimers();
    nock.activate();
    process.off("unhandledRejection", onUnhandled);
    await endpoint.close();
  });

  /** A credential on the fault endpoint with the soak's retry options and counters. */
  function soakCredential(): { credential: ImdsCredential; count: ReturnType<typeof counters> } {
    const count = counters();
    const credential = new ImdsCredential({
      endpoint: endpoint.origin,
      retryOptions: RETRY,
      additionalPolicies: [
        { policy: count.perCall, position: "perCall" },
        { policy: count.perRetry, position: "perRetry" },
      ],
    });
    return { credential, count };
  }

  /**
   * Makes calls `first`…`last - 1`, spread over the callers, each caller one call after another
   * (every CLAIMS_EVERY-th with claims when `withClaims`), and sorts every outcome.
   */
  function callers(
    credential: ImdsCredential,
    count: ReturnType<typeof counters>,
    outcomes: Outcomes,
    first: number,
    last: number,
    withClaims: boolean,
  ): Promise<void[]> {
    const check = (call: number, token: AccessToken): void => {
      const resource = scopeOf(call).slice(0, -"/.default".length);
      if (!token.token.startsWith(soakTokenPrefix(resource)))
        outcomes.bad.push(`call ${call}: another resource's token`);
      else if (!(token.expiresOnTimestamp > Date.now()))
        outcomes.bad.push(`call ${call}: expiry ${token.expiresOnTimestamp} not in the future`);
      else outcomes.tokens++;
    };
    const caller = async (index: number): Promise<void> => {
      for (let call = first + index; call < last; call += CALLERS) {
        const claims =
          withClaims && call % CLAIMS_EVERY === 0
            ? `{"access_token":{"nbf":{"essential":true,"value":"${call}"}}}`
            : undefined;
        if (claims) outcomes.claimsCalls++;
        const options = claims ? { claims } : {};
        const pending = credential.getToken(scopeOf(call), options);
        if (call % SAMPLE_EVERY === 0) count.watch(pending, options);
        try {
          check(call, await pending);
        } catch (error) {
          if (error instanceof AuthenticationError) outcomes.authenticationErrors++;
          else if (error instanceof CredentialUnavailableError) outcomes.unavailable++;
          else outcomes.bad.push(`call ${call}: ${(error as Error)?.name}: ${(error as Error)?.message}`);
        }
      }
    };
    return Promise.all(Array.from({ length: CALLERS }, (_, i) => caller(i)));
  }

  /** Runs a promise to the end, jumping the fake clock over retry delays whenever no try is in flight. */
  function drive<T>(promise: Promise<T>, count: ReturnType<typeof counters>): Promise<T> {
    return settleWithFakeClock(promise, { busy: () => count.inFlight() > 0, maxTimers: 200_000, maxIdleMs: 15_000 });
  }

  const newOutcomes = (): Outcomes => ({ tokens: 0, authenticationErrors: 0, unavailable: 0, claimsCalls: 0, bad: [] });

  it("10,000 calls from 50 callers: valid tokens or the package's errors, bounded upstream traffic, flat memory", async () => {
    const { credential, count } = soakCredential();
    const outcomes = newOutcomes();
    const started = Date.now();

    // Warm-up: every resource gets its first token, sockets and code paths are all created.
    await drive(callers(credential, count, outcomes, 0, WARM_UP_CALLS, true), count);
    // Then two runs, the second three times as long as the first, each measured after a full GC.
    const heapBefore = await heapAfterGc();
    await drive(callers(credential, count, outcomes, WARM_UP_CALLS, SHORT_RUN_END, true), count);
    const heapMiddle = await heapAfterGc();
    await drive(callers(credential, count, outcomes, SHORT_RUN_END, CALLS, true), count);
    const heapAfter = await heapAfterGc();

    const failedCalls = outcomes.authenticationErrors + outcomes.unavailable;
    const summary = {
      ...outcomes,
      bad: outcomes.bad.slice(0, 5),
      requests: count.requests(),
      tries: count.tries(),
      upstream: endpoint.requests,
      byFault: endpoint.byFault,
    };

    // Every call ended, in a valid token for its own resource or one of the package's errors.
    expect(outcomes.bad, JSON.stringify(summary)).toEqual([]);
    expect(outcomes.tokens + failedCalls).toBe(CALLS);
    expect(unhandled).toEqual([]);
    // The faults really happened, and most calls still got a token.
    for (const fault of Object.keys(endpoint.byFault))
      expect(endpoint.byFault[fault as keyof typeof endpoint.byFault], fault).toBeGreaterThan(0);
    expect(outcomes.tokens).toBeGreaterThan(CALLS * 0.9);

    // The bound on upstream traffic. A token request starts only for a resource with no token yet
    // (RESOURCES first successes), for a call with claims (at most claimsCalls), or after a failed
    // request, which at least one caller sees (at most failedCalls). No token went stale: 24 h tokens
    // refresh at half-life at the earliest (minus at most a minute of jitter), and less fake time passed.
    expect(Date.now() - started).toBeLessThan((TOKEN_LIFETIME_S / 2 - 60) * 1000);
    const maxRequests = RESOURCES + outcomes.claimsCalls + failedCalls;
    expect(count.requests(), JSON.stringify(summary)).toBeLessThanOrEqual(maxRequests);
    expect(count.tries()).toBeLessThanOrEqual(count.requests() * MAX_TRIES_PER_REQUEST);
    expect(endpoint.requests).toBeLessThanOrEqual(count.tries());
    // And far below one request per call: the cache and single-flight do their work.
    expect(count.requests()).toBeLessThan(CALLS / 4);

    // Memory: nothing per request or per call survives it (requests, headers, abort signals, the
    // callers' promises and options all collected), and the heap does not grow with the number of calls.
    // Compared between the two runs rather than bounded (the figures depend on the machine and the GC):
    // a leak of L bytes per call grows the long run three times as much as the short one (6,000 L against
    // 2,000 L); a flat heap grows neither, give or take the GC's noise (1 MiB).
    expect(count.alive()).toBe(0);
    const shortRunGrowth = heapMiddle - heapBefore;
    const longRunGrowth = heapAfter - heapMiddle;
    expect(longRunGrowth, JSON.stringify({ shortRunGrowth, longRunGrowth })).toBeLessThan(
      2 * Math.max(shortRunGrowth, 0) + 1024 * 1024,
    );
  }, 60_000);

  it("stale tokens: 2,000 calls all get a valid token at once while the refreshes meet the faults in the background", async () => {
    const { credential, count } = soakCredential();
    // Every resource gets a token first (a failed call is simply made again).
    for (let resource = 0; resource < RESOURCES; resource++) {
      for (;;) {
        const got = await drive(
          credential.getToken(scopeOf(resource)).then(
            () => true,
            () => false,
          ),
          count,
        );
        if (got) break;
      }
    }
    const requestsBefore = count.requests();
    // Past every token's refresh time (half of 24 h at the latest), well before its expiry.
    // Time passes (both clocks): a wall-clock step alone would decide nothing.
    vi.advanceTimersByTime((TOKEN_LIFETIME_S / 2 + 3600) * 1000);
    const staleSince = Date.now();

    const outcomes = newOutcomes();
    let allDone = false;
    const calls = callers(credential, count, outcomes, 0, 2_000, false).then(() => (allDone = true));
    // "At once": every call is answered from the cache before the event loop turns even once, so
    // before any network answer could have arrived.
    await new Promise<void>((resolve) => realSetImmediate(resolve));
    expect(allDone).toBe(true);
    await calls;
    expect(outcomes.bad).toEqual([]);
    expect(outcomes.tokens).toBe(2_000);

    // The refreshes run on, with their retries and failures, seen by nobody.
    const drained = (async () => {
      while (count.inFlight() > 0 || vi.getTimerCount() > 0)
        await new Promise<void>((resolve) => realSetImmediate(resolve));
    })();
    await drive(drained, count);
    expect(unhandled).toEqual([]);

    // At most one refresh per resource at a time, and after a failed one the next waits at least 10 s
    // (the background back-off), so: RESOURCES * (1 + elapsed / 10 s) refreshes at most.
    const refreshes = count.requests() - requestsBefore;
    expect(refreshes).toBeGreaterThanOrEqual(RESOURCES);
    expect(refreshes).toBeLessThanOrEqual(RESOURCES * (1 + Math.ceil((Date.now() - staleSince) / 10_000)));

    // After the refreshes, every call still gets a valid token, without waiting.
    const after = newOutcomes();
    await drive(callers(credential, count, after, 0, 500, false), count);
    expect(after.bad).toEqual([]);
    expect(after.tokens).toBe(500);
    expect(unhandled).toEqual([]);
  }, 60_000);
});
