import type { AccessToken } from "@azure/core-auth";
import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { failure } from "../helpers/failure.js";
import { passTimeUntil, useFakeClocks } from "../helpers/fakeClock.js";
import { type FetchToken, TokenCache } from "../../src/token/tokenCache.js";

const SCOPE = "https://vault.azure.net/.default";
const MINUTE = 60_000;
const START = Date.UTC(2026, 10, 21, 5, 0, 0);

/** A token issued now, lasting an hour, to be refreshed after `refreshIn`. */
function hourToken(name: string, refreshIn = 50 * MINUTE): AccessToken {
  const now = Date.now();
  return {
    token: name,
    expiresOnTimestamp: now + 60 * MINUTE,
    refreshAfterTimestamp: now + refreshIn,
    tokenType: "Bearer",
  };
}

/** Lets every pending promise job and I/O callback run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A fetch whose calls the test settles one by one. */
function controlledFetch() {
  const calls: Array<{ resource: string; signal: AbortSignal; resolve(t: AccessToken): void; reject(e: Error): void }> =
    [];
  const fetch: FetchToken = (resource, signal) =>
    new Promise<AccessToken>((resolve, reject) => {
      calls.push({ resource, signal, resolve, reject });
    });
  return { fetch, calls };
}

const timeoutError = (ms: number): Error => new Error(`timed out after ${ms} ms`);

afterEach(() => {
  vi.useRealTimers();
});

describe("TokenCache", () => {
  it("backs off a failing background refresh 10 s, 20 s, 40 s … up to 5 min, and resets after a success", async () => {
    useFakeClocks(START);
    const { fetch, calls } = controlledFetch();
    const cache = new TokenCache(fetch, timeoutError);
    const first = cache.getToken(SCOPE);
    calls[0]!.resolve(hourToken("token-1", MINUTE));
    await first;

    let now = START + 2 * MINUTE; // stale, valid until START + 59.5 min
    const expected = [10, 20, 40, 80, 160, 300, 300].map((s) => s * 1000);
    for (const [i, backoff] of expected.entries()) {
      passTimeUntil(now);
      expect((await cache.getToken(SCOPE)).token).toBe("token-1");
      expect(calls).toHaveLength(2 + i);
      calls[1 + i]!.reject(new Error("refresh failed"));
      await turn();

      passTimeUntil(now + backoff - 1);
      await cache.getToken(SCOPE);
      expect(calls).toHaveLength(2 + i);
      now += backoff;
    }

    passTimeUntil(now);
    await cache.getToken(SCOPE);
    expect(calls).toHaveLength(9);
    calls[8]!.resolve(hourToken("token-2", MINUTE));
    await turn();
    expect((await cache.getToken(SCOPE)).token).toBe("token-2");

    // After a success the back-off starts again from 10 s.
    passTimeUntil(now + 2 * MINUTE);
    await cache.getToken(SCOPE);
    calls[9]!.reject(new Error("refresh failed"));
    await turn();
    passTimeUntil(now + 2 * MINUTE + 10_000);
    await cache.getToken(SCOPE);
    expect(calls).toHaveLength(11);
  });

  it("never cancels a background refresh, which has no waiter", async () => {
    useFakeClocks(START);
    const { fetch, calls } = controlledFetch();
    const cache = new TokenCache(fetch, timeoutError);
    const first = cache.getToken(SCOPE);
    calls[0]!.resolve(hourToken("token-1", MINUTE));
    await first;

    passTimeUntil(START + 2 * MINUTE);
    const controller = new AbortController();
    await cache.getToken(SCOPE, { abortSignal: controller.signal });
    controller.abort();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.signal.aborted).toBe(false);
  });

  it("aborts the fetch once every waiter has left, not before", async () => {
    const { fetch, calls } = controlledFetch();
    const cache = new TokenCache(fetch, timeoutError);
    const a = new AbortController();
    const b = new AbortController();
    const first = failure(cache.getToken(SCOPE, { abortSignal: a.signal }));
    const second = failure(cache.getToken(SCOPE, { abortSignal: b.signal }));
    expect(calls).toHaveLength(1);

    a.abort();
    expect((await first).name).toBe("AbortError");
    expect(calls[0]!.signal.aborted).toBe(false);
    b.abort();
    expect((await second).name).toBe("AbortError");
    expect(calls[0]!.signal.aborted).toBe(true);
  });

  it("shares one fetch between the scopes of one resource", async () => {
    const { fetch, calls } = controlledFetch();
    const cache = new TokenCache(fetch, timeoutError);
    const one = cache.getToken("https://vault.azure.net/.default");
    const two = cache.getToken("https://vault.azure.net");
    expect(calls.map((c) => c.resource)).toEqual(["https://vault.azure.net"]);
    calls[0]!.resolve(hourToken("shared"));
    expect(await one).toBe(await two);
  });

  it("leaves no timer and no listener behind once a call with a timeout and a signal is over", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { fetch, calls } = controlledFetch();
    const cache = new TokenCache(fetch, timeoutError);
    const controller = new AbortController();
    const call = cache.getToken(SCOPE, { abortSignal: controller.signal, requestOptions: { timeout: 5_000 } });
    expect(vi.getTimerCount()).toBe(1);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    calls[0]!.resolve(hourToken("t"));
    await call;
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("rejects a caller with the timeout error when its timeout passes, and cancels the fetch it alone waited for", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { fetch, calls } = controlledFetch();
    const cache = new TokenCache(fetch, timeoutError);
    const call = failure(cache.getToken(SCOPE, { requestOptions: { timeout: 5_000 } }));
    vi.advanceTimersByTime(5_000);
    expect((await call).message).toBe("timed out after 5000 ms");
    expect(calls[0]!.signal.aborted).toBe(true);
  });

  it("takes a timeout of Infinity or beyond 2^31-1 ms as no bound, not as 1 ms (setTimeout's overflow)", async () => {
    const { fetch, calls } = controlledFetch();
    const cache = new TokenCache(fetch, timeoutError);
    const pending = [Infinity, 2 ** 31, Number.MAX_SAFE_INTEGER].map((timeout, i) =>
      cache.getToken(`https://r${i}.example/.default`, { requestOptions: { timeout } }),
    );
    // Node runs an overflowing timer after 1 ms: a real 20 ms wait would see it fire.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toHaveLength(3);
    for (const [i, call] of calls.entries()) call.resolve(hourToken(`token-${i}`));
    expect((await Promise.all(pending)).map((t) => t.token)).toEqual(["token-0", "token-1", "token-2"]);
  });
});

describe("TokenCache with claims (a CAE challenge)", () => {
  /** A fetch whose calls the test settles one by one, recording what each was given. */
  function recordingFetch() {
    const calls: Array<{
      options: Parameters<FetchToken>[2];
      revoked: AccessToken | undefined;
      resolve(t: AccessToken): void;
    }> = [];
    const fetch: FetchToken = (_resource, _signal, options, revoked) =>
      new Promise<AccessToken>((resolve) => {
        calls.push({ options, revoked, resolve });
      });
    return { fetch, calls };
  }

  it("passes the claims, enableCae and the refused cached token to the fetch; without claims, no token", async () => {
    const { fetch, calls } = recordingFetch();
    const cache = new TokenCache(fetch, timeoutError);
    const first = cache.getToken(SCOPE);
    calls[0]!.resolve(hourToken("cached"));
    await first;

    const second = cache.getToken(SCOPE, { claims: '{"access_token":{}}', enableCae: true });
    await turn();
    expect(calls[0]!.revoked).toBeUndefined();
    expect(calls[1]!.options).toEqual({ claims: '{"access_token":{}}', enableCae: true });
    expect(calls[1]!.revoked?.token).toBe("cached");
    calls[1]!.resolve(hourToken("fresh"));
    await expect(second).resolves.toMatchObject({ token: "fresh" });
  });

  it("a caller with claims does not join a request without them, and that older request's token never replaces the new one", async () => {
    const { fetch, calls } = recordingFetch();
    const cache = new TokenCache(fetch, timeoutError);
    const plain = cache.getToken(SCOPE);
    const challenged = cache.getToken(SCOPE, { claims: "c" });
    // A caller without claims arriving now joins the newest request, the one with claims.
    const later = cache.getToken(SCOPE);
    await turn();
    expect(calls).toHaveLength(2);

    calls[1]!.resolve(hourToken("after-challenge"));
    calls[0]!.resolve(hourToken("maybe-revoked"));
    await expect(plain).resolves.toMatchObject({ token: "maybe-revoked" });
    await expect(challenged).resolves.toMatchObject({ token: "after-challenge" });
    await expect(later).resolves.toMatchObject({ token: "after-challenge" });
    // The cache holds the token fetched for the claims, though the older request finished last.
    await expect(cache.getToken(SCOPE)).resolves.toMatchObject({ token: "after-challenge" });
    expect(calls).toHaveLength(2);
  });

  it("callers with the same claims share one request; other claims start their own", async () => {
    const { fetch, calls } = recordingFetch();
    const cache = new TokenCache(fetch, timeoutError);
    const a = cache.getToken(SCOPE, { claims: "c1" });
    const b = cache.getToken(SCOPE, { claims: "c1" });
    const c = cache.getToken(SCOPE, { claims: "c2" });
    await turn();
    expect(calls.map((call) => call.options?.claims)).toEqual(["c1", "c2"]);
    calls[0]!.resolve(hourToken("one"));
    calls[1]!.resolve(hourToken("two"));
    await expect(Promise.all([a, b, c])).resolves.toMatchObject([{ token: "one" }, { token: "one" }, { token: "two" }]);
  });
});
