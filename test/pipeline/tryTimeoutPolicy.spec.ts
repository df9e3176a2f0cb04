// tryTimeoutPolicy alone, with fake timers and a `next` that behaves like the HTTP client (it stops on abort).
import { getEventListeners } from "node:events";
import { createHttpHeaders, type PipelineResponse, RestError, type SendRequest } from "@azure/core-rest-pipeline";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tryTimeoutPolicy } from "../../src/index.js";
import { useFakeClock } from "../helpers/fakeClock.js";
import { loopbackRequest } from "../helpers/scriptedNext.js";

/** An answer that takes `ms`, or an AbortError as soon as the request's signal aborts. */
function slowNext(ms: number): SendRequest {
  return (request) =>
    new Promise<PipelineResponse>((resolve, reject) => {
      const timer = setTimeout(() => resolve({ request, status: 200, headers: createHttpHeaders() }), ms);
      request.abortSignal?.addEventListener("abort", () => {
        clearTimeout(timer);
        const error = new Error("The operation was aborted.");
        error.name = "AbortError";
        reject(error);
      });
    });
}

beforeEach(() => useFakeClock());
afterEach(() => vi.useRealTimers());

describe("tryTimeoutPolicy", () => {
  it("fails a try that takes longer than the bound with code TRY_TIMEOUT, and leaves nothing behind", async () => {
    const outer = new AbortController();
    const request = loopbackRequest(outer.signal);
    const promise = tryTimeoutPolicy(1000).sendRequest(request, slowNext(5000));
    promise.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(999);
    expect(vi.getTimerCount()).toBe(2); // the answer and the bound
    await vi.advanceTimersByTimeAsync(1);
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RestError);
    expect(error).toMatchObject({ code: "TRY_TIMEOUT", message: "no complete answer within 1000 ms" });
    expect(vi.getTimerCount()).toBe(0);
    expect(request.abortSignal).toBe(outer.signal);
    expect(getEventListeners(outer.signal, "abort")).toHaveLength(0);
  });

  it("lets a try that ends in time through, and clears its timer", async () => {
    const outer = new AbortController();
    const request = loopbackRequest(outer.signal);
    const promise = tryTimeoutPolicy(10_000).sendRequest(request, slowNext(5000));
    await vi.advanceTimersByTimeAsync(5000);
    expect((await promise).status).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
    expect(request.abortSignal).toBe(outer.signal);
    expect(getEventListeners(outer.signal, "abort")).toHaveLength(0);
  });

  it("passes the caller's abort through at once, as an AbortError and not a timeout", async () => {
    const outer = new AbortController();
    const promise = tryTimeoutPolicy(10_000).sendRequest(loopbackRequest(outer.signal), slowNext(5000));
    promise.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(10);
    outer.abort();
    await expect(promise).rejects.toMatchObject({ name: "AbortError" });
    expect(vi.getTimerCount()).toBe(0);
  });

  // setTimeout turns a delay above 2^31-1 ms, Infinity, 0 or NaN into 1 ms: a bound of "forever" must not become "at once".
  it.each([Infinity, 2 ** 31, 0, -1, Number.NaN])("does not fail every try when the bound is %s", async (bound) => {
    const promise = tryTimeoutPolicy(bound).sendRequest(loopbackRequest(), slowNext(5000));
    promise.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(5000);
    expect((await promise).status).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
  });
});
