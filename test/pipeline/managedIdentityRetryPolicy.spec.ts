// managedIdentityRetryPolicy (Arc, Cloud Shell, …) driven alone with a scripted `next` and fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { managedIdentityRetryPolicy } from "../../src/index.js";
import { settleWithFakeClock, useFakeClock } from "../helpers/fakeClock.js";
import { loopbackRequest, networkError, scriptedNext, type ScriptStep } from "../helpers/scriptedNext.js";

function run(steps: ScriptStep[], options?: Parameters<typeof managedIdentityRetryPolicy>[0]) {
  const script = scriptedNext(steps);
  const promise = managedIdentityRetryPolicy(options).sendRequest(loopbackRequest(), script.next);
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

describe("managedIdentityRetryPolicy", () => {
  it.each([408, 429, 500, 502, 503, 504])("retries %i", async (status) => {
    const { script, promise } = run([status, 200]);
    expect((await settleWithFakeClock(promise)).status).toBe(200);
    expect(script.calls).toHaveLength(2);
  });

  // 404 and 410 are IMDS's own transient answers; elsewhere they are final.
  it.each([404, 410, 400, 401, 403, 302])("does not retry %i", async (status) => {
    const { script, promise } = run([status, 200]);
    expect((await settleWithFakeClock(promise)).status).toBe(status);
    expect(script.calls).toHaveLength(1);
  });

  it("retries 3 times by default with exponential back-off, then returns the last answer", async () => {
    const { script, promise, gaps } = run([503]);
    expect((await settleWithFakeClock(promise)).status).toBe(503);
    expect(script.calls).toHaveLength(4);
    expect(gaps()).toEqual([400, 800, 1600]);
  });

  it("honours Retry-After, and stops when it is longer than maxRetryDelayInMs", async () => {
    const honoured = run([{ status: 429, headers: { "Retry-After": "2" } }, 200]);
    expect((await settleWithFakeClock(honoured.promise)).status).toBe(200);
    expect(honoured.gaps()).toEqual([2000]);
    const tooLong = run([{ status: 429, headers: { "Retry-After": "30" } }, 200], { maxRetryDelayInMs: 10_000 });
    expect((await settleWithFakeClock(tooLong.promise)).status).toBe(429);
    expect(tooLong.script.calls).toHaveLength(1);
  });

  it("retries a reset connection but not a refused one", async () => {
    const reset = run([networkError("ECONNRESET"), 200]);
    expect((await settleWithFakeClock(reset.promise)).status).toBe(200);
    const refused = run([networkError("ECONNREFUSED"), 200]);
    await expect(settleWithFakeClock(refused.promise)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(refused.script.calls).toHaveLength(1);
  });
});
