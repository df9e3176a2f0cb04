// imdsRetryPolicy driven alone with a scripted `next` and fake timers: the exact schedule, no sockets.
import { RestError } from "@azure/core-rest-pipeline";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { imdsRetryPolicy } from "../../src/index.js";
import { FAKE_START, settleWithFakeClock, useFakeClock } from "../helpers/fakeClock.js";
import { loopbackRequest, networkError, scriptedNext, type ScriptStep } from "../helpers/scriptedNext.js";

function run(steps: ScriptStep[], options?: Parameters<typeof imdsRetryPolicy>[0], signal?: AbortSignal) {
  const script = scriptedNext(steps);
  const promise = imdsRetryPolicy(options).sendRequest(loopbackRequest(signal), script.next);
  const gaps = (): number[] => script.calls.slice(1).map((t, i) => t - script.calls[i]!);
  return { script, promise, gaps };
}

beforeEach(() => {
  useFakeClock();
  vi.spyOn(Math, "random").mockReturnValue(0);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("imdsRetryPolicy: which answers are retried", () => {
  it.each([404, 408, 410, 429, 500, 502, 503, 504, 599])("retries %i", async (status) => {
    const { script, promise } = run([status, 200]);
    const response = await settleWithFakeClock(promise);
    expect(response.status).toBe(200);
    expect(script.calls).toHaveLength(2);
  });

  it.each([400, 401, 403, 409, 302, 307])("never retries %i", async (status) => {
    const { script, promise } = run([status, 200]);
    const response = await settleWithFakeClock(promise);
    expect(response.status).toBe(status);
    expect(script.calls).toHaveLength(1);
  });
});

describe("imdsRetryPolicy: the back-off schedule", () => {
  it("doubles from 800 ms with jitter at its smallest (half), 5 retries by default, then returns the last answer", async () => {
    const { script, promise, gaps } = run([500]);
    expect((await settleWithFakeClock(promise)).status).toBe(500);
    expect(script.calls).toHaveLength(6);
    expect(gaps()).toEqual([400, 800, 1600, 3200, 6400]);
  });

  it("jitters between half and all of the exponential delay", async () => {
    vi.mocked(Math.random).mockReturnValue(0.999);
    const { promise, gaps } = run([503], { maxRetries: 3 });
    await settleWithFakeClock(promise);
    const expected = [800, 1600, 3200];
    gaps().forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i]! / 2);
      expect(gap).toBeLessThanOrEqual(expected[i]!);
      expect(gap).toBeGreaterThan(expected[i]! * 0.99);
    });
  });

  it("takes retryDelayInMs, maxRetries and caps each delay at maxRetryDelayInMs", async () => {
    const { script, promise, gaps } = run([500], { maxRetries: 4, retryDelayInMs: 300, maxRetryDelayInMs: 1000 });
    await settleWithFakeClock(promise);
    expect(script.calls).toHaveLength(5);
    expect(gaps()).toEqual([150, 300, 500, 500]);
  });

  it("makes one try only with maxRetries 0", async () => {
    const { script, promise } = run([500, 200], { maxRetries: 0 });
    expect((await settleWithFakeClock(promise)).status).toBe(500);
    expect(script.calls).toHaveLength(1);
  });
});

describe("imdsRetryPolicy: 410 is retried for at least 70 s whatever the jitter", () => {
  const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

  // The usual exponential schedule carried on past maxRetries (at least 1 s apart there) until 70 s are covered.
  it.each([
    [0, [1000, 1000, 1600, 3200, 6400, 12800, 25600, 30000]],
    [1, [400, 1000, 1600, 3200, 6400, 12800, 25600, 30000]],
  ])("spans at least 70 s with the smallest jitter and maxRetries %i", async (maxRetries, expected) => {
    const { script, promise, gaps } = run([410], { maxRetries });
    expect((await settleWithFakeClock(promise)).status).toBe(410);
    expect(gaps()).toEqual(expected);
    expect(script.calls.at(-1)! - FAKE_START.getTime()).toBeGreaterThanOrEqual(70_000);
  });

  it("spans at least 70 s with the largest jitter too", async () => {
    vi.mocked(Math.random).mockReturnValue(0.999_999);
    const { promise, gaps } = run([410], { maxRetries: 2 });
    await settleWithFakeClock(promise);
    expect(sum(gaps())).toBeGreaterThanOrEqual(70_000);
  });

  it("gives the token when IMDS comes back within the 70 s", async () => {
    const { script, promise } = run([410, 410, 410, 410, 410, 410, 410, 200], { maxRetries: 1 });
    expect((await settleWithFakeClock(promise)).status).toBe(200);
    expect(script.calls).toHaveLength(8);
    expect(script.calls.at(-1)! - FAKE_START.getTime()).toBe(51_000);
  });

  it("stops at maxRetries once the 70 s are covered", async () => {
    const { script, promise } = run([410], { maxRetries: 10 });
    await settleWithFakeClock(promise);
    expect(script.calls).toHaveLength(11);
  });

  it.each([
    ["retryDelayInMs 0", { retryDelayInMs: 0, maxRetries: 1 }, [410]],
    ["a Retry-After of 0", { maxRetries: 1 }, [{ status: 410, headers: { "Retry-After": "0" } }]],
  ] as const)("still ends, without hammering IMDS, with %s", async (_, options, steps) => {
    const { script, promise, gaps } = run([...steps], options);
    expect((await settleWithFakeClock(promise, { maxTimers: 200 })).status).toBe(410);
    expect(sum(gaps())).toBeGreaterThanOrEqual(70_000);
    expect(script.calls.length).toBeLessThanOrEqual(100);
  });
});

describe("imdsRetryPolicy: Retry-After", () => {
  it("waits exactly the seconds asked for, without jitter", async () => {
    vi.mocked(Math.random).mockReturnValue(0.5);
    const { promise, gaps } = run([
      { status: 429, headers: { "Retry-After": "7" } },
      { status: 429, headers: { "Retry-After": "3" } },
      200,
    ]);
    expect((await settleWithFakeClock(promise)).status).toBe(200);
    expect(gaps()).toEqual([7000, 3000]);
  });

  it("waits exactly until the HTTP-date asked for", async () => {
    const at = new Date(FAKE_START.getTime() + 12_000).toUTCString();
    const { promise, gaps } = run([{ status: 429, headers: { "Retry-After": at } }, 200]);
    expect((await settleWithFakeClock(promise)).status).toBe(200);
    expect(gaps()).toEqual([12_000]);
  });

  it("retries at once for an HTTP-date in the past", async () => {
    const at = new Date(FAKE_START.getTime() - 60_000).toUTCString();
    const { promise, gaps } = run([{ status: 503, headers: { "Retry-After": at } }, 200]);
    await settleWithFakeClock(promise);
    expect(gaps()).toEqual([0]);
  });

  // Date.parse is lenient ("-5" and "1.5" are dates in 2001 to V8): neither may become "retry now".
  it.each(["soon", "-5", "5s", ""])(
    "falls back to the back-off when Retry-After is unreadable: '%s'",
    async (value) => {
      const { promise, gaps } = run([{ status: 503, headers: { "Retry-After": value } }, 200]);
      await settleWithFakeClock(promise);
      expect(gaps()).toEqual([400]);
    },
  );

  it("takes fractional seconds as they are", async () => {
    const { promise, gaps } = run([{ status: 503, headers: { "Retry-After": "1.5" } }, 200]);
    await settleWithFakeClock(promise);
    expect(gaps()).toEqual([1500]);
  });

  it.each([
    ["seconds", "61"],
    ["an HTTP-date", new Date(FAKE_START.getTime() + 120_000).toUTCString()],
  ])("stops when Retry-After (%s) is longer than maxRetryDelayInMs", async (_, value) => {
    const { script, promise } = run([{ status: 429, headers: { "Retry-After": value } }, 200]);
    const response = await settleWithFakeClock(promise);
    expect(response.status).toBe(429);
    expect(script.calls).toHaveLength(1);
  });

  // setTimeout fires after 1 ms for any delay above 2^31-1 ms (24.8 days).
  it("does not turn a Retry-After of 30 days into an immediate retry when maxRetryDelayInMs allows it", async () => {
    const { script, promise, gaps } = run([{ status: 503, headers: { "Retry-After": String(30 * 86_400) } }, 200], {
      maxRetryDelayInMs: Number.MAX_SAFE_INTEGER,
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(script.calls).toHaveLength(1);
    expect((await settleWithFakeClock(promise)).status).toBe(200);
    expect(gaps()).toEqual([30 * 86_400_000]);
  });

  it("honours a Retry-After equal to maxRetryDelayInMs, and stops just above it", async () => {
    const equal = run([{ status: 429, headers: { "Retry-After": "5" } }, 200], { maxRetryDelayInMs: 5000 });
    expect((await settleWithFakeClock(equal.promise)).status).toBe(200);
    expect(equal.gaps()).toEqual([5000]);
    const above = run([{ status: 429, headers: { "Retry-After": "6" } }, 200], { maxRetryDelayInMs: 5000 });
    expect((await settleWithFakeClock(above.promise)).status).toBe(429);
  });
});

describe("imdsRetryPolicy: network failures", () => {
  it.each([
    networkError("ECONNRESET", "socket hang up"),
    networkError("TRY_TIMEOUT", "no complete answer within 200 ms"),
    networkError("EPIPE"),
    new Error("socket hang up"),
  ])("retries a broken connection or a timed-out try: $message", async (error) => {
    const { script, promise, gaps } = run([error, 200]);
    expect((await settleWithFakeClock(promise)).status).toBe(200);
    expect(script.calls).toHaveLength(2);
    expect(gaps()).toEqual([400]);
  });

  it.each(["ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH"])("fails at once, without a timer, on %s", async (code) => {
    const { script, promise } = run([networkError(code), 200]);
    await expect(settleWithFakeClock(promise)).rejects.toMatchObject({ code });
    expect(script.calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("does not retry an error it does not know", async () => {
    const { script, promise } = run([new TypeError("bug"), 200]);
    await expect(settleWithFakeClock(promise)).rejects.toThrow("bug");
    expect(script.calls).toHaveLength(1);
  });

  it("throws the last error when the retries run out", async () => {
    const { script, promise } = run([networkError("ECONNRESET")], { maxRetries: 2 });
    const error = await settleWithFakeClock(promise).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestError);
    expect((error as RestError).code).toBe("ECONNRESET");
    expect(script.calls).toHaveLength(3);
  });
});

describe("imdsRetryPolicy: abort", () => {
  it("cancels a retry delay at once and leaves no timer behind", async () => {
    const controller = new AbortController();
    const { script, promise } = run([500, 200], undefined, controller.signal);
    promise.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(script.calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(1); // the retry delay
    controller.abort();
    await expect(promise).rejects.toMatchObject({ name: "AbortError" });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(script.calls).toHaveLength(1);
  });

  it("does not retry a failure once the caller has aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const { script, promise } = run([networkError("ECONNRESET"), 200], undefined, controller.signal);
    await expect(promise).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(script.calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
