import type { AccessToken } from "@azure/core-auth";
import { AzureLogger, getLogLevel, setLogLevel } from "@azure/logger";
import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthenticationError, ImdsCredential } from "../../src/index.js";
import { type FetchToken, TokenCache } from "../../src/token/tokenCache.js";
import { failure } from "../helpers/failure.js";
import { passTimeUntil, useFakeClocks } from "../helpers/fakeClock.js";
import { type GatedServer, startGatedServer } from "../helpers/gatedServer.js";
import { recordingHttpClient } from "../helpers/recordingHttpClient.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

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

// The same cache as the credentials use it: through ImdsCredential, on a loopback IMDS.
/** A promise's outcome, to look at without awaiting it. */
function watch<T>(promise: Promise<T>): { settled: boolean; result: Promise<T> } {
  const state = { settled: false, result: promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

describe("the token cache, through ImdsCredential on a loopback IMDS", () => {
  let server: TokenServer | GatedServer | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await server?.close();
    server = undefined;
  });

  const credential = (origin: string): ImdsCredential =>
    new ImdsCredential({ endpoint: origin, retryOptions: { maxRetries: 0 } });

  describe("reuse and keys", () => {
    it("serves many calls from one request", async () => {
      server = await startTokenServer(() => tokenAnswer("cached"));
      const shared = credential(server.origin);
      const first = await shared.getToken(SCOPE);
      for (let i = 0; i < 20; i++) expect(await shared.getToken(SCOPE)).toBe(first);
      expect(server.requests).toHaveLength(1);
    });

    it("keys by resource: a scope with and without /.default share one entry, another resource has its own", async () => {
      server = await startTokenServer((request) => tokenAnswer(`for-${request.url.searchParams.get("resource")}`));
      const shared = credential(server.origin);
      expect((await shared.getToken("https://vault.azure.net/.default")).token).toBe("for-https://vault.azure.net");
      expect((await shared.getToken("https://vault.azure.net")).token).toBe("for-https://vault.azure.net");
      expect((await shared.getToken(["https://vault.azure.net/.default"])).token).toBe("for-https://vault.azure.net");
      expect(server.requests).toHaveLength(1);
      expect((await shared.getToken("https://storage.azure.com/.default")).token).toBe("for-https://storage.azure.com");
      expect(server.requests).toHaveLength(2);
      expect((await shared.getToken("https://vault.azure.net/.default")).token).toBe("for-https://vault.azure.net");
      expect(server.requests).toHaveLength(2);
    });

    it("keeps one cache per credential instance", async () => {
      server = await startTokenServer(() => tokenAnswer());
      await credential(server.origin).getToken(SCOPE);
      await credential(server.origin).getToken(SCOPE);
      expect(server.requests).toHaveLength(2);
    });

    it("holds 1000 resources and serves each again without a request", async () => {
      // In memory, not over sockets: this is about the cache, and 1000 loopback requests are slow on a busy machine.
      const httpClient = recordingHttpClient((request) => `for-${new URL(request.url).searchParams.get("resource")}`);
      const shared = new ImdsCredential({ endpoint: "http://127.0.0.1:1", httpClient });
      const resources = Array.from({ length: 1000 }, (_, i) => `https://resource-${i}.example`);
      await Promise.all(resources.map((r) => shared.getToken(`${r}/.default`)));
      expect(httpClient.requests).toHaveLength(1000);
      for (const resource of resources) {
        expect((await shared.getToken(`${resource}/.default`)).token).toBe(`for-${resource}`);
      }
      expect(httpClient.requests).toHaveLength(1000);
    });
  });

  describe("single flight", () => {
    it("sends exactly one request for 100 concurrent calls", async () => {
      const gated = (server = await startGatedServer());
      const shared = credential(gated.origin);
      const calls = Array.from({ length: 100 }, () => shared.getToken(SCOPE));
      await vi.waitFor(() => expect(gated.pending).toBe(1));
      gated.answerAll(() => tokenAnswer("one"));
      const tokens = await Promise.all(calls);
      expect(new Set(tokens.map((t) => t.token))).toEqual(new Set(["one"]));
      expect(gated.requests).toHaveLength(1);
    });

    it("gives every concurrent caller the failure of the one request, and does not cache it", async () => {
      const gated = (server = await startGatedServer());
      const shared = credential(gated.origin);
      const calls = Array.from({ length: 10 }, () => shared.getToken(SCOPE).catch((e: unknown) => e));
      await vi.waitFor(() => expect(gated.pending).toBe(1));
      gated.answerAll((n) =>
        n === 1
          ? { status: 500, body: { error: "server_error", error_description: "IMDS is down" } }
          : tokenAnswer("later"),
      );
      const errors = await Promise.all(calls);
      for (const error of errors) {
        expect(error).toBeInstanceOf(AuthenticationError);
        expect(error).toMatchObject({ statusCode: 500, message: expect.stringMatching(/IMDS is down/) });
      }
      expect(gated.requests).toHaveLength(1);
      expect((await shared.getToken(SCOPE)).token).toBe("later");
    });
  });

  describe("refresh: fresh, stale but valid, expired", () => {
    let logs: string[];
    let restoreLog: () => void;
    let start: number;
    beforeEach(() => {
      // A whole second: the endpoint answers expires_on in whole seconds, so a start with a fraction would
      // put the expiry up to 999 ms before start + 1 h, and the refresh bound below with it.
      start = Math.floor(Date.now() / 1000) * 1000;
      useFakeClocks(start);
      logs = [];
      const { log } = AzureLogger;
      const level = getLogLevel();
      AzureLogger.log = (...args: unknown[]) => logs.push(args.map(String).join(" "));
      setLogLevel("warning");
      restoreLog = () => {
        AzureLogger.log = log;
        setLogLevel(level);
      };
    });
    afterEach(() => restoreLog());

    // tokenAnswer's tokens last one hour: refreshed from 54-55 min (five minutes early, minus jitter),
    // served from the cache until three minutes before expiry.
    const STALE = 56 * MINUTE;

    it("serves the cached token with no request before refreshAfterTimestamp", async () => {
      const gated = (server = await startGatedServer());
      gated.answerAll((n) => tokenAnswer(`token-${n}`));
      const shared = credential(gated.origin);
      const first = await shared.getToken(SCOPE);
      expect(first.refreshAfterTimestamp).toBeGreaterThanOrEqual(start + 54 * MINUTE);
      passTimeUntil(first.refreshAfterTimestamp! - 1);
      expect(await shared.getToken(SCOPE)).toBe(first);
      await turn();
      expect(gated.requests).toHaveLength(1);
    });

    it("past refreshAfterTimestamp, serves the cached token at once and refreshes once in the background", async () => {
      const gated = (server = await startGatedServer());
      gated.answerAll((n) => tokenAnswer(`token-${n}`));
      const shared = credential(gated.origin);
      await shared.getToken(SCOPE);

      gated.holdAll();
      passTimeUntil(start + STALE);
      // The refresh hangs at the endpoint; every caller still gets the cached token.
      const tokens = await Promise.all(Array.from({ length: 50 }, () => shared.getToken(SCOPE)));
      expect(tokens.map((t) => t.token)).toEqual(Array(50).fill("token-1"));
      await vi.waitFor(() => expect(gated.pending).toBe(1));
      expect((await shared.getToken(SCOPE)).token).toBe("token-1");
      expect(gated.requests).toHaveLength(2);

      gated.answerAll((n) => tokenAnswer(`token-${n}`));
      await vi.waitFor(async () => expect((await shared.getToken(SCOPE)).token).toBe("token-2"));
      expect(gated.requests).toHaveLength(2);
    });

    it("hides a failing background refresh from callers, logs it, and retries it only after a back-off", async () => {
      const gated = (server = await startGatedServer());
      gated.answerAll((n) =>
        n === 2
          ? { status: 500, body: { error: "server_error", error_description: "try later" } }
          : tokenAnswer(`token-${n}`),
      );
      const shared = credential(gated.origin);
      await shared.getToken(SCOPE);

      passTimeUntil(start + STALE);
      expect((await shared.getToken(SCOPE)).token).toBe("token-1");
      await vi.waitFor(() =>
        expect(logs.join("\n")).toMatch(
          /background refresh .* failed; the cached token is still valid .* retried in 10 s/,
        ),
      );
      // vi.waitFor moves the fake clock on as it polls: the failure was seen by this time at the latest.
      const failedBy = Date.now();
      expect(logs.join("\n")).not.toContain("token-1");

      for (let i = 0; i < 20; i++) expect((await shared.getToken(SCOPE)).token).toBe("token-1");
      passTimeUntil(start + STALE + 9_000);
      expect((await shared.getToken(SCOPE)).token).toBe("token-1");
      await turn();
      expect(gated.requests).toHaveLength(2);

      passTimeUntil(failedBy + 10_001);
      expect((await shared.getToken(SCOPE)).token).toBe("token-1");
      await vi.waitFor(() => expect(gated.requests).toHaveLength(3));
      await vi.waitFor(async () => expect((await shared.getToken(SCOPE)).token).toBe("token-3"));
    });

    it.each([
      // core-amqp (Service Bus, Event Hubs) renews at expiresOn − 2 min and plans its next renewal from the
      // token it gets (Azure/azure-sdk-for-js, sdk/servicebus/service-bus/src/core/linkEntity.ts): an old
      // token then would make it renew again at once. test/clients/serviceBus.spec.ts shows it end to end.
      ["three minutes before expiry", 57 * MINUTE],
      ["two minutes before expiry, when core-amqp renews", 58 * MINUTE],
      ["within 30 s of expiry", 60 * MINUTE - 10_000],
      ["past expiry", 61 * MINUTE],
    ])("%s, makes the caller wait for the new token", async (_name, later) => {
      const gated = (server = await startGatedServer());
      gated.answerAll((n) => tokenAnswer(`token-${n}`));
      const shared = credential(gated.origin);
      await shared.getToken(SCOPE);

      gated.holdAll();
      passTimeUntil(start + later);
      const calls = [watch(shared.getToken(SCOPE)), watch(shared.getToken(SCOPE))];
      await vi.waitFor(() => expect(gated.pending).toBe(1));
      await turn();
      expect(calls.map((c) => c.settled)).toEqual([false, false]);

      gated.answerAll((n) => tokenAnswer(`token-${n}`));
      for (const call of calls) expect((await call.result).token).toBe("token-2");
      expect(gated.requests).toHaveLength(2);
    });

    it("gives the waiting callers of an expired token the refresh's error", async () => {
      const gated = (server = await startGatedServer());
      gated.answerAll((n) =>
        n === 1
          ? tokenAnswer("token-1")
          : { status: 503, body: { error: "unavailable", error_description: "down for maintenance" } },
      );
      const shared = credential(gated.origin);
      await shared.getToken(SCOPE);

      passTimeUntil(start + 61 * MINUTE);
      const errors = await Promise.all(
        [shared.getToken(SCOPE), shared.getToken(SCOPE)].map((p) => p.catch((e: unknown) => e)),
      );
      for (const error of errors) {
        expect(error).toBeInstanceOf(AuthenticationError);
        expect(error).toMatchObject({ statusCode: 503, message: expect.stringMatching(/down for maintenance/) });
      }
      expect(gated.requests).toHaveLength(2);
    });
  });
});
