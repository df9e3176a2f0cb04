// Freshness counts down on performance.now(), from the lifetime a token had when it arrived, and on the wall
// clock (both must say fresh: suspendedClock.spec.ts); back-offs on performance.now() alone. Before, after the
// wall clock stepped back 24 h, an expired token was served from the cache for about 23 more hours, and the
// chain's probe back-off followed the wall clock too. `expiresOnTimestamp` stays wall-clock epoch milliseconds,
// which core-rest-pipeline's bearerTokenAuthenticationPolicy compares with Date.now().
import { afterEach, describe, expect, it, vi } from "vitest";
import { ImdsCredential, ManagedIdentityChainCredential } from "../../src/index.js";
import { useFakeClocks } from "../helpers/fakeClock.js";
import { type SeenRequest, startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let server: TokenServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

/** A loopback IMDS whose tokens last one hour: fresh for about 55 minutes, served until 30 s before expiry. */
async function imds(): Promise<TokenServer> {
  let n = 0;
  server = await startTokenServer(() => tokenAnswer(`token-${++n}`, 3600));
  return server;
}

describe("freshness on the monotonic clock", () => {
  it("after the wall clock steps back 24 h, a token whose hour has passed is not served: the caller gets a new one", async () => {
    useFakeClocks();
    const { origin, requests } = await imds();
    const credential = new ImdsCredential({ endpoint: origin });
    const first = await credential.getToken(SCOPE);
    expect(first.expiresOnTimestamp).toBe(Math.floor((Date.now() + HOUR) / 1000) * 1000);

    vi.setSystemTime(Date.now() - 24 * HOUR);
    vi.advanceTimersByTime(61 * MINUTE);
    const second = await credential.getToken(SCOPE);
    expect(second.token).toBe("token-2");
    expect(requests).toHaveLength(2);
    // The new token's expiry is wall-clock epoch ms, as the (stepped) wall clock now reads.
    expect(second.expiresOnTimestamp).toBeGreaterThan(Date.now());
  });

  // Issue 19 §1 changed this case: a wall clock 24 h ahead is what a day's suspend looks like, and the token's
  // expiresOnTimestamp has passed by it. It used to be served as fresh.
  it("after the wall clock steps forward 24 h, a token fetched a minute ago is not served: its expiry has passed by the wall clock", async () => {
    useFakeClocks();
    const { origin, requests } = await imds();
    const credential = new ImdsCredential({ endpoint: origin });
    await credential.getToken(SCOPE);
    vi.advanceTimersByTime(MINUTE);
    vi.setSystemTime(Date.now() + 24 * HOUR);
    expect((await credential.getToken(SCOPE)).token).toBe("token-2");
    expect(requests).toHaveLength(2);
  });

  it("a failed background refresh waits out its back-off on the monotonic clock, whatever the wall clock does", async () => {
    useFakeClocks();
    let n = 0;
    server = await startTokenServer(() =>
      ++n === 1 ? tokenAnswer("token-1", 3600) : { status: 400, body: { error: "bad_request" } },
    );
    const credential = new ImdsCredential({ endpoint: server.origin });
    await credential.getToken(SCOPE);
    vi.advanceTimersByTime(56 * MINUTE); // stale, still valid
    await credential.getToken(SCOPE);
    await vi.waitFor(() => expect(server!.requests).toHaveLength(2));
    await new Promise((resolve) => setImmediate(resolve));

    vi.setSystemTime(Date.now() + 30_000); // a wall-clock step past the 10 s back-off (the token stays due)
    expect((await credential.getToken(SCOPE)).token).toBe("token-1");
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.requests).toHaveLength(2);

    vi.advanceTimersByTime(10_000); // the back-off really passed
    expect((await credential.getToken(SCOPE)).token).toBe("token-1");
    await vi.waitFor(() => expect(server!.requests).toHaveLength(3));
  });

  it("the chain's probe back-off: a wall-clock step forward does not end it, 5 s on the monotonic clock do", async () => {
    useFakeClocks();
    const isProbe = (request: SeenRequest): boolean => request.headers["metadata"] === undefined;
    server = await startTokenServer(() => ({
      status: 403,
      body: "dial tcp 169.254.169.254:80: connect: network is unreachable",
    }));
    const credential = new ManagedIdentityChainCredential({
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: server.origin },
      arcAgentPath: "/nonexistent/azcmagent/bin/himds",
    });
    await expect(credential.getToken(SCOPE)).rejects.toThrow(/not probed again for 5 s/i);

    vi.setSystemTime(Date.now() + HOUR);
    await expect(credential.getToken(SCOPE)).rejects.toThrow(/not probed again for 5 s/i);
    expect(server.requests.filter(isProbe)).toHaveLength(1);

    vi.advanceTimersByTime(5_000);
    await expect(credential.getToken(SCOPE)).rejects.toThrow(/not probed again for 10 s/i);
    expect(server.requests.filter(isProbe)).toHaveLength(2);
  });
});
