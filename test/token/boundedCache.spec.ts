// The token cache is bounded: one credential asked for 100,000 distinct resources used to hold all of them
// (+176 MiB of heap), expired and failed entries included.
import type { AccessToken } from "@azure/core-auth";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ImdsCredential } from "../../src/index.js";
import { type FetchToken, MAX_CACHED_RESOURCES, TokenCache } from "../../src/token/tokenCache.js";
import { useFakeClocks } from "../helpers/fakeClock.js";
import { startTokenServer, tokenAnswer } from "../helpers/tokenServer.js";

const HOUR = 3_600_000;
const timeoutError = (ms: number): Error => new Error(`timed out after ${ms} ms`);

function hourToken(name: string): AccessToken {
  const now = Date.now();
  return { token: name, expiresOnTimestamp: now + HOUR, refreshAfterTimestamp: now + HOUR / 2, tokenType: "Bearer" };
}

/** A fetch that answers at once with an hour's token named after the resource, and counts its calls per resource. */
function countingFetch() {
  const calls = new Map<string, number>();
  const fetch: FetchToken = (resource) => {
    calls.set(resource, (calls.get(resource) ?? 0) + 1);
    return Promise.resolve(hourToken(`token:${resource}`));
  };
  return { fetch, calls, total: () => [...calls.values()].reduce((a, b) => a + b, 0) };
}

const resource = (i: number): string => `https://r${i}.example`;

afterEach(() => vi.useRealTimers());

describe("bounded token cache", () => {
  it("holds at most 1,000 resources (the documented cap), whatever the number asked for", async () => {
    expect(MAX_CACHED_RESOURCES).toBe(1000);
    const { fetch, total } = countingFetch();
    const cache = new TokenCache(fetch, timeoutError);
    for (let i = 0; i < 20_000; i++) await cache.getToken(resource(i));
    expect(total()).toBe(20_000);
    expect(cache.size).toBe(1000);
  });

  it("drops the least recently used first: a token used since is kept, the oldest unused one is fetched again", async () => {
    const { fetch, calls } = countingFetch();
    const cache = new TokenCache(fetch, timeoutError);
    for (let i = 0; i < MAX_CACHED_RESOURCES; i++) await cache.getToken(resource(i));
    await cache.getToken(resource(0)); // used again: now the most recent
    await cache.getToken(resource(MAX_CACHED_RESOURCES)); // one too many: resource 1 goes
    expect(cache.size).toBe(MAX_CACHED_RESOURCES);

    await cache.getToken(resource(0));
    expect(calls.get(resource(0))).toBe(1);
    await cache.getToken(resource(2));
    expect(calls.get(resource(2))).toBe(1);
    await cache.getToken(resource(1));
    expect(calls.get(resource(1))).toBe(2);
  });

  it("evicts expired entries: after their tokens expired, a new resource finds only itself cached", async () => {
    useFakeClocks();
    const { fetch } = countingFetch();
    const cache = new TokenCache(fetch, timeoutError);
    for (let i = 0; i < 50; i++) await cache.getToken(resource(i));
    expect(cache.size).toBe(50);
    vi.advanceTimersByTime(HOUR);
    await cache.getToken("https://new.example");
    expect(cache.size).toBe(1);
  });

  it("a failed lookup leaves no entry, nor does an abandoned one", async () => {
    const cache = new TokenCache(() => Promise.reject(new Error("refused")), timeoutError);
    for (let i = 0; i < 100; i++) await expect(cache.getToken(resource(i))).rejects.toThrow("refused");
    expect(cache.size).toBe(0);

    const hung = new TokenCache(() => new Promise<AccessToken>(() => undefined), timeoutError);
    const controller = new AbortController();
    const call = hung.getToken(resource(0), { abortSignal: controller.signal });
    expect(hung.size).toBe(1);
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: "AbortError" });
    expect(hung.size).toBe(0);
  });

  it("keeps every scope of an evicted resource out: its other scope strings are fetched again too", async () => {
    const { fetch, calls } = countingFetch();
    const cache = new TokenCache(fetch, timeoutError);
    await cache.getToken("https://vault.azure.net/.default");
    await cache.getToken("https://vault.azure.net");
    for (let i = 0; i < MAX_CACHED_RESOURCES; i++) await cache.getToken(resource(i));
    await cache.getToken("https://vault.azure.net");
    expect(calls.get("https://vault.azure.net")).toBe(2);
    await cache.getToken("https://vault.azure.net/.default");
    expect(calls.get("https://vault.azure.net")).toBe(2);
  });

  it("through a credential on a loopback IMDS: a failed resource is asked again on the next call, a good one is not", async () => {
    const server = await startTokenServer((request) =>
      request.url.searchParams.get("resource") === "https://bad.example"
        ? { status: 400, body: { error: "invalid_resource", error_description: "AADSTS500011" } }
        : tokenAnswer(),
    );
    try {
      const credential = new ImdsCredential({ endpoint: server.origin });
      await expect(credential.getToken("https://bad.example")).rejects.toThrow(/AADSTS500011/);
      await expect(credential.getToken("https://bad.example")).rejects.toThrow(/AADSTS500011/);
      expect(server.requests).toHaveLength(2);
      await credential.getToken("https://good.example");
      await credential.getToken("https://good.example");
      expect(server.requests).toHaveLength(3);
    } finally {
      await server.close();
    }
  });
});
