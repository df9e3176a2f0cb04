import { AzureLogger, getLogLevel, setLogLevel } from "@azure/logger";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthenticationError, ImdsCredential } from "../../src/index.js";
import { type GatedServer, startGatedServer } from "../helpers/gatedServer.js";
import { recordingHttpClient } from "../helpers/recordingHttpClient.js";
import { passTimeUntil, useFakeClocks } from "../helpers/fakeClock.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const MINUTE = 60_000;

/** A promise's outcome, to look at without awaiting it. */
function watch<T>(promise: Promise<T>): { settled: boolean; result: Promise<T> } {
  const state = { settled: false, result: promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

/** Lets every pending I/O callback and promise job run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

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
      server = await startTokenServer((request) => tokenAnswer(`for ${request.url.searchParams.get("resource")}`));
      const shared = credential(server.origin);
      expect((await shared.getToken("https://vault.azure.net/.default")).token).toBe("for https://vault.azure.net");
      expect((await shared.getToken("https://vault.azure.net")).token).toBe("for https://vault.azure.net");
      expect((await shared.getToken(["https://vault.azure.net/.default"])).token).toBe("for https://vault.azure.net");
      expect(server.requests).toHaveLength(1);
      expect((await shared.getToken("https://storage.azure.com/.default")).token).toBe("for https://storage.azure.com");
      expect(server.requests).toHaveLength(2);
      expect((await shared.getToken("https://vault.azure.net/.default")).token).toBe("for https://vault.azure.net");
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
      const httpClient = recordingHttpClient((request) => `for ${new URL(request.url).searchParams.get("resource")}`);
      const shared = new ImdsCredential({ endpoint: "http://127.0.0.1:1", httpClient });
      const resources = Array.from({ length: 1000 }, (_, i) => `https://resource-${i}.example`);
      await Promise.all(resources.map((r) => shared.getToken(`${r}/.default`)));
      expect(httpClient.requests).toHaveLength(1000);
      for (const resource of resources) {
        expect((await shared.getToken(`${resource}/.default`)).token).toBe(`for ${resource}`);
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
