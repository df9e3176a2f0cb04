// Property-based tests of Retry-After: whatever the header says, the parser gives a wait or nothing,
// and the retry policies neither hang, nor wait longer than they allow, nor hammer the endpoint.
import {
  createHttpHeaders,
  createPipelineRequest,
  type PipelineResponse,
  type SendRequest,
} from "@azure/core-rest-pipeline";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearHostQueueFiles } from "../helpers/hostQueueFiles.js";
import { parseRetryAfter } from "../../src/pipeline/retryAfter.js";
import { imdsRetryPolicy, managedIdentityRetryPolicy } from "../../src/pipeline/retryPolicy.js";

const NOW = Date.UTC(2026, 0, 15, 10, 30, 0);

function answer(headers: Record<string, string>, status = 429): PipelineResponse {
  const request = createPipelineRequest({ url: "http://127.0.0.1:9/token" });
  return { request, status, headers: createHttpHeaders(headers) };
}

/** Retry-After values as servers send them, and as broken or hostile ones do. */
const retryAfterValue = fc.oneof(
  fc.nat({ max: 120 }).map(String),
  fc.stringMatching(/^\d{1,400}$/),
  fc.integer({ min: -86_400, max: 86_400 }).map((s) => new Date(NOW + s * 1000).toUTCString()),
  fc.constantFrom(
    "0",
    "-1",
    "1.5",
    "1e3",
    " 5 ",
    "",
    "soon",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "NaN",
  ),
  fc.string(),
);

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("parseRetryAfter under fuzzing", () => {
  it("any header value: undefined or a wait of zero or more ms, never NaN or negative, never an exception", () => {
    fc.assert(
      fc.property(retryAfterValue, (value) => {
        const wait = parseRetryAfter(answer({ "Retry-After": value }), NOW);
        if (wait !== undefined) {
          expect(Number.isNaN(wait)).toBe(false);
          expect(wait).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("delay-seconds are exact, an HTTP-date is counted from now, a past date means now", () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.integer({ min: -86_400, max: 86_400 }), (seconds, dateOffset) => {
        expect(parseRetryAfter(answer({ "Retry-After": String(seconds) }), NOW)).toBe(seconds * 1000);
        const date = new Date(NOW + dateOffset * 1000).toUTCString();
        expect(parseRetryAfter(answer({ "Retry-After": date }), NOW)).toBe(Math.max(0, dateOffset * 1000));
      }),
    );
  });
});

describe("the retry policies under any Retry-After", () => {
  /** Runs a policy against an endpoint that always answers `status` with `headers`, and records the tries. */
  async function runPolicy(
    policyName: "imds" | "standard",
    options: { maxRetries?: number; retryDelayInMs: number; maxRetryDelayInMs: number },
    status: number,
    headers: Record<string, string>,
  ): Promise<{ tries: number[]; final: number }> {
    // Each run on its own: the host queue's lines of an earlier run (on the same fake clock) would delay it.
    clearHostQueueFiles();
    const tries: number[] = [];
    const next: SendRequest = async (request) => {
      tries.push(Date.now());
      return { request, status, headers: createHttpHeaders(headers) };
    };
    const policy = policyName === "imds" ? imdsRetryPolicy(options) : managedIdentityRetryPolicy(options);
    const result = policy.sendRequest(createPipelineRequest({ url: "http://127.0.0.1:9/token" }), next);
    // More timers than the largest bound below: a policy that never stops fails here instead of hanging.
    await vi.runAllTimersAsync();
    const response = await result;
    expect(vi.getTimerCount(), "a timer left behind").toBe(0);
    return { tries, final: response.status };
  }

  it("always stop, wait at most maxRetryDelayInMs (or IMDS's 1 s floor past maxRetries), and try a bounded number of times", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<"imds" | "standard">("imds", "standard"),
        fc.record({
          maxRetries: fc.option(fc.nat({ max: 6 }), { nil: undefined }),
          retryDelayInMs: fc.nat({ max: 2_000 }),
          maxRetryDelayInMs: fc.integer({ min: 1, max: 60_000 }),
        }),
        fc.constantFrom(404, 408, 410, 429, 500, 503),
        fc.option(retryAfterValue, { nil: undefined }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (policyName, options, status, retryAfter, jitter) => {
          vi.useFakeTimers({ now: NOW });
          vi.spyOn(Math, "random").mockReturnValue(jitter);
          const { tries, final } = await runPolicy(
            policyName,
            options,
            status,
            retryAfter === undefined ? {} : { "Retry-After": retryAfter },
          );
          const gaps = tries.slice(1).map((at, i) => at - tries[i]!);
          const imdsGone = policyName === "imds" && status === 410;
          // With maxRetries left unset, IMDS's 429 is retried for 90 s (at least 1 s apart past the count), unless
          // maxRetryDelayInMs asks for waits under 1 s (issue 22).
          const imdsThrottled =
            policyName === "imds" &&
            status === 429 &&
            options.maxRetries === undefined &&
            options.maxRetryDelayInMs >= 1_000;
          const maxRetries = options.maxRetries ?? (policyName === "imds" ? 5 : 3);
          // The bound: 1 + maxRetries; IMDS stretches a 410 to 70 s with retries at least 1 s apart, so at most 70 more.
          expect(tries.length).toBeLessThanOrEqual(1 + maxRetries + (imdsGone ? 70 : 0) + (imdsThrottled ? 90 : 0));
          for (const gap of gaps)
            expect(gap).toBeLessThanOrEqual(Math.max(options.maxRetryDelayInMs, imdsGone ? 1_000 : 0));
          expect(final).toBe(status);
          vi.useRealTimers();
        },
      ),
      { numRuns: 400 },
    );
  });

  it("IMDS: a 410 is retried for at least 70 s unless a Retry-After asks for more than maxRetryDelayInMs", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxRetries: fc.option(fc.nat({ max: 6 }), { nil: undefined }),
          retryDelayInMs: fc.nat({ max: 2_000 }),
          maxRetryDelayInMs: fc.integer({ min: 1, max: 60_000 }),
        }),
        fc.option(retryAfterValue, { nil: undefined }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (options, retryAfter, jitter) => {
          vi.useFakeTimers({ now: NOW });
          vi.spyOn(Math, "random").mockReturnValue(jitter);
          const headers: Record<string, string> = retryAfter === undefined ? {} : { "Retry-After": retryAfter };
          const asked = parseRetryAfter(answer(headers, 410), NOW);
          const { tries } = await runPolicy("imds", options, 410, headers);
          const span = tries.at(-1)! - tries[0]!;
          if (asked === undefined || asked <= options.maxRetryDelayInMs) expect(span).toBeGreaterThanOrEqual(70_000);
          else expect(tries.length).toBe(1);
          vi.useRealTimers();
        },
      ),
      {
        numRuns: 300,
        // Found by this property: half-millisecond back-offs, which timers truncate, added up to 69,999 ms.
        examples: [[{ maxRetries: 0, retryDelayInMs: 1461, maxRetryDelayInMs: 16_793 }, undefined, 0]],
      },
    );
  });

  it("IMDS: a 429 without Retry-After is retried for at least 90 s whatever the jitter, maxRetries left at its default and maxRetryDelayInMs 1 s or more (issue 22)", async () => {
    // Under 1 s, maxRetryDelayInMs asks for quick answers: the budget's extra retries (1 s apart) would break it.
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          retryDelayInMs: fc.nat({ max: 2_000 }),
          maxRetryDelayInMs: fc.integer({ min: 1_000, max: 60_000 }),
        }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (options, jitter) => {
          vi.useFakeTimers({ now: NOW });
          vi.spyOn(Math, "random").mockReturnValue(jitter);
          const { tries } = await runPolicy("imds", options, 429, {});
          expect(tries.at(-1)! - tries[0]!).toBeGreaterThanOrEqual(90_000);
          vi.useRealTimers();
        },
      ),
      { numRuns: 60 },
    );
  });
});
