// The cache acts on one state per token, decided by refreshTiming's one function (issue 18 §4, the README's
// freshness rule). Before: a 300 s token came back fresh with 165 s left; an hour's token with a
// 58-minute refresh_in was fresh (served without a request) in its last three minutes; and in those minutes a
// failed refresh failed the call although the cached token had minutes left (issue 19 §1: a 4-minute token,
// 125 s after it was fetched, IMDS answering 500).
import type { AccessToken } from "@azure/core-auth";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ImdsCredential } from "../../src/index.js";
import type { TokenState } from "../../src/token/refreshTiming.js";
import { type FetchToken, TokenCache } from "../../src/token/tokenCache.js";
import { FAKE_START, passTimeUntil, useFakeClocks } from "../helpers/fakeClock.js";
import { type Answer, startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const T = FAKE_START.getTime();
const MINUTE = 60_000;
const FAILING: Answer = { status: 500, body: { error: "unknown", error_description: "IMDS is having a bad day" } };

let server: TokenServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

/** A loopback IMDS that answers each request with the next of `answers` (the last one again when they run out). */
async function imds(...answers: Array<() => Answer>): Promise<ImdsCredential> {
  let n = 0;
  server = await startTokenServer(() => answers[Math.min(n++, answers.length - 1)]!());
  return new ImdsCredential({ endpoint: server.origin, retryOptions: { maxRetries: 0 } });
}

describe("the token's state decides what a call gets", () => {
  it("a 300 s token with 165 s left is not served as fresh: the caller waits for a new one", async () => {
    useFakeClocks();
    const credential = await imds(
      () => tokenAnswer("token-1", 300),
      () => tokenAnswer("token-2", 300),
    );
    expect((await credential.getToken(SCOPE)).token).toBe("token-1");
    passTimeUntil(T + 135_000);
    expect((await credential.getToken(SCOPE)).token).toBe("token-2");
    expect(server!.requests).toHaveLength(2);
  });

  it("an hour's token with a 58-minute refresh_in is not fresh in its last three minutes", async () => {
    useFakeClocks();
    const credential = await imds(
      () => tokenAnswer("token-1", 3600, { refresh_in: 58 * 60 }),
      () => tokenAnswer("token-2", 3600),
    );
    const first = await credential.getToken(SCOPE);
    expect(first.refreshAfterTimestamp).toBeLessThanOrEqual(first.expiresOnTimestamp - 3 * MINUTE);
    passTimeUntil(T + 57.5 * MINUTE);
    expect((await credential.getToken(SCOPE)).token).toBe("token-2");
    expect(server!.requests).toHaveLength(2);
  });

  it("in the last three minutes, a failed refresh returns the cached token: a 4-minute token, 125 s on, IMDS answering 500", async () => {
    useFakeClocks();
    const credential = await imds(
      () => tokenAnswer("token-1", 240),
      () => FAILING,
    );
    expect((await credential.getToken(SCOPE)).token).toBe("token-1");
    passTimeUntil(T + 125_000);
    expect((await credential.getToken(SCOPE)).token).toBe("token-1");
    // The caller waited for a refresh, which failed.
    expect(server!.requests).toHaveLength(2);
  });

  it("in its last 30 s a token is expired: the caller gets the failed refresh's error, not the token", async () => {
    useFakeClocks();
    const credential = await imds(
      () => tokenAnswer("token-1", 240),
      () => FAILING,
    );
    await credential.getToken(SCOPE);
    passTimeUntil(T + 211_000);
    await expect(credential.getToken(SCOPE)).rejects.toThrow(/bad day/);
  });
});

describe("the cache reports the state it served from (for tracing)", () => {
  it("missing, fresh, due (with a background refresh), must-wait and expired", async () => {
    useFakeClocks();
    const issued: Array<(token: AccessToken) => void> = [];
    const fetch: FetchToken = () => new Promise<AccessToken>((resolve) => issued.push(resolve));
    const cache = new TokenCache(fetch, (ms) => new Error(`timed out after ${ms} ms`));
    const seen: Array<[TokenState | "missing", string]> = [];
    const call = (): Promise<AccessToken> =>
      cache.getToken(SCOPE, undefined, "", (state, refresh) => seen.push([state, refresh]));
    const hourToken = (name: string): AccessToken => ({
      token: name,
      tokenType: "Bearer",
      expiresOnTimestamp: Date.now() + 60 * MINUTE,
      refreshAfterTimestamp: Date.now() + 50 * MINUTE,
    });

    const first = call();
    issued[0]!(hourToken("token-1"));
    await first;
    await call();
    passTimeUntil(T + 51 * MINUTE);
    await call(); // due: starts the background refresh
    await call(); // due: the refresh runs already
    expect(issued).toHaveLength(2);
    passTimeUntil(T + 58 * MINUTE);
    const waiting = call(); // must-wait: joins the refresh under way
    issued[1]!(hourToken("token-2"));
    expect((await waiting).token).toBe("token-2");
    passTimeUntil(T + 59.6 * MINUTE + 60 * MINUTE);
    const expired = call();
    issued[2]!(hourToken("token-3"));
    await expired;
    expect(seen).toEqual([
      ["missing", "awaited"],
      ["fresh", "none"],
      ["due", "background"],
      ["due", "none"],
      ["must-wait", "awaited"],
      ["expired", "awaited"],
    ]);
  });
});
