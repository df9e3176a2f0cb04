// A token is fresh only while both clocks say so (issue 19 §1, the README's freshness rule).
// On Linux the monotonic clock stands still while the machine is suspended or hibernated: after a two-hour
// suspend the cache served a token that had expired an hour earlier, because freshness counted on
// performance.now() alone. Here the wall clock moves alone, as after a resume; the monotonic clock alone still
// cannot make an old token fresh (monotonicFreshness.spec.ts: the wall clock stepped back).
import { afterEach, describe, expect, it, vi } from "vitest";
import { ImdsCredential } from "../../src/index.js";
import { useFakeClocks } from "../helpers/fakeClock.js";
import { type Answer, startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const FAILING: Answer = { status: 500, body: { error: "unknown", error_description: "IMDS is having a bad day" } };

let server: TokenServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

/** A loopback IMDS: one-hour `token-1` first, then each later request answered by `later` (default: `token-N`). */
async function imds(later?: () => Answer): Promise<ImdsCredential> {
  let n = 0;
  server = await startTokenServer(() => (++n === 1 || later === undefined ? tokenAnswer(`token-${n}`, 3600) : later()));
  return new ImdsCredential({ endpoint: server.origin, retryOptions: { maxRetries: 0 } });
}

/** A suspend: the wall clock moves on, the monotonic clock does not. */
function suspend(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

describe("both clocks decide freshness", () => {
  it("after a two-hour suspend, a one-hour token is not served: the caller gets a new one", async () => {
    useFakeClocks();
    const credential = await imds();
    expect((await credential.getToken(SCOPE)).token).toBe("token-1");
    suspend(2 * HOUR);
    const second = await credential.getToken(SCOPE);
    expect(second.token).toBe("token-2");
    expect(second.expiresOnTimestamp).toBeGreaterThan(Date.now());
    expect(server!.requests).toHaveLength(2);
  });

  it("after a two-hour suspend with IMDS failing, the caller gets the error, never the expired token", async () => {
    useFakeClocks();
    const credential = await imds(() => FAILING);
    await credential.getToken(SCOPE);
    suspend(2 * HOUR);
    await expect(credential.getToken(SCOPE)).rejects.toThrow(/bad day/);
  });

  it("a suspend into the token's last three minutes: the caller waits for the refresh, and gets the cached token when it fails", async () => {
    useFakeClocks();
    const credential = await imds(() => FAILING);
    await credential.getToken(SCOPE);
    suspend(58 * MINUTE);
    expect((await credential.getToken(SCOPE)).token).toBe("token-1");
    expect(server!.requests).toHaveLength(2);
  });

  it("a suspend past the refresh time: the cached token at once, and a refresh in the background", async () => {
    useFakeClocks();
    const credential = await imds();
    const first = await credential.getToken(SCOPE);
    suspend(56 * MINUTE);
    expect(await credential.getToken(SCOPE)).toBe(first);
    await vi.waitFor(() => expect(server!.requests).toHaveLength(2));
    await vi.waitFor(async () => expect((await credential.getToken(SCOPE)).token).toBe("token-2"));
  });

  it("a refresh that fails once the wall clock has passed the expiry gives its error, not the cached token", async () => {
    useFakeClocks();
    let n = 0;
    server = await startTokenServer(() => {
      if (++n === 1) return tokenAnswer("token-1", 3600);
      suspend(5 * MINUTE); // the machine slept while the refresh was under way
      return FAILING;
    });
    const credential = new ImdsCredential({ endpoint: server.origin, retryOptions: { maxRetries: 0 } });
    await credential.getToken(SCOPE);
    vi.advanceTimersByTime(58 * MINUTE); // must-wait on both clocks: 2 minutes left
    await expect(credential.getToken(SCOPE)).rejects.toThrow(/bad day/);
  });
});
