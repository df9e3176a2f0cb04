import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccessToken } from "@azure/core-auth";
import { refreshAfter, tokenState, tokenTimes } from "../../src/token/refreshTiming.js";

const NOW = Date.UTC(2026, 10, 21, 5, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const noJitter = (): number => 0;
const fullJitter = (): number => 0.999_999;

describe("refreshAfter", () => {
  it("refreshes a token of two hours or more at half its life", () => {
    expect(refreshAfter(NOW, NOW + 24 * HOUR, undefined, noJitter)).toBe(NOW + 12 * HOUR);
    expect(refreshAfter(NOW, NOW + 2 * HOUR, undefined, noJitter)).toBe(NOW + HOUR);
  });

  it("refreshes a shorter token five minutes before it expires", () => {
    expect(refreshAfter(NOW, NOW + HOUR, undefined, noJitter)).toBe(NOW + HOUR - 5 * MINUTE);
    expect(refreshAfter(NOW, NOW + 2 * HOUR - 1, undefined, noJitter)).toBe(NOW + 2 * HOUR - 1 - 5 * MINUTE);
    expect(refreshAfter(NOW, NOW + 11 * MINUTE, undefined, noJitter)).toBe(NOW + 6 * MINUTE);
  });

  it("refreshes a token too short for the five minutes at half its life, never at once", () => {
    expect(refreshAfter(NOW, NOW + 8 * MINUTE, undefined, noJitter)).toBe(NOW + 4 * MINUTE);
  });

  // Issue 18 §4: freshness ends where callers start waiting. Before, a 300 s token was fresh until 150 s
  // (the cache served it, fresh, with 165 s left), and a 58-minute refresh_in put an hour's refresh time after
  // its serving limit; freshness used to end 30 s before expiry.
  it("ends freshness no later than three minutes before expiry, where callers start waiting for a new token", () => {
    expect(refreshAfter(NOW, NOW + 300_000, undefined, noJitter)).toBe(NOW + 120_000);
    expect(refreshAfter(NOW, NOW + HOUR, 58 * MINUTE, noJitter)).toBe(NOW + 57 * MINUTE);
    expect(refreshAfter(NOW, NOW + 40_000, undefined, noJitter)).toBe(NOW);
    expect(refreshAfter(NOW, NOW + 40_000, 35_000, noJitter)).toBe(NOW);
    expect(refreshAfter(NOW, NOW + 20_000, undefined, noJitter)).toBe(NOW);
  });

  it("honours the endpoint's refresh_in", () => {
    expect(refreshAfter(NOW, NOW + 24 * HOUR, 10 * MINUTE, noJitter)).toBe(NOW + 10 * MINUTE);
  });

  it("raises a refresh_in shorter than a minute, so that refresh_in: 0 does not refresh on every call", () => {
    expect(refreshAfter(NOW, NOW + HOUR, 0, noJitter)).toBe(NOW + MINUTE);
    expect(refreshAfter(NOW, NOW + HOUR, 20_000, noJitter)).toBe(NOW + MINUTE);
    expect(refreshAfter(NOW, NOW + 8 * MINUTE, 0, noJitter)).toBe(NOW + MINUTE);
  });

  it("ignores a refresh_in at or after the expiry", () => {
    expect(refreshAfter(NOW, NOW + HOUR, HOUR, noJitter)).toBe(NOW + HOUR - 5 * MINUTE);
    expect(refreshAfter(NOW, NOW + HOUR, 2 * HOUR, noJitter)).toBe(NOW + HOUR - 5 * MINUTE);
  });

  it("takes off at most a minute of jitter", () => {
    expect(refreshAfter(NOW, NOW + 24 * HOUR, undefined, fullJitter)).toBeGreaterThanOrEqual(NOW + 12 * HOUR - MINUTE);
    expect(refreshAfter(NOW, NOW + 24 * HOUR, undefined, fullJitter)).toBeLessThan(NOW + 12 * HOUR);
  });

  it("takes off at most 5% of a short lifetime as jitter", () => {
    const at = refreshAfter(NOW, NOW + 8 * MINUTE, undefined, fullJitter);
    expect(at).toBeGreaterThanOrEqual(NOW + 4 * MINUTE - 0.05 * 8 * MINUTE);
    expect(at).toBeLessThan(NOW + 4 * MINUTE);
  });

  it("spreads a fleet's refreshes with the default random source", () => {
    const times = new Set(Array.from({ length: 20 }, () => refreshAfter(NOW, NOW + 24 * HOUR, undefined)));
    expect(times.size).toBeGreaterThan(1);
  });

  it("is never before now nor in the last three minutes, and within the jitter of its rule", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 48 * HOUR }),
        fc.option(fc.integer({ min: 0, max: 48 * HOUR }), { nil: undefined }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (lifetime, refreshIn, random) => {
          const at = refreshAfter(NOW, NOW + lifetime, refreshIn, () => random);
          const exact = refreshAfter(NOW, NOW + lifetime, refreshIn, noJitter);
          expect(at).toBeGreaterThanOrEqual(NOW);
          expect(at).toBeLessThan(NOW + lifetime);
          expect(at).toBeLessThanOrEqual(Math.max(NOW, NOW + lifetime - 3 * MINUTE));
          expect(exact - at).toBeLessThanOrEqual(Math.min(0.05 * lifetime, MINUTE) + 1);
          expect(at).toBeLessThanOrEqual(exact);
        },
      ),
    );
  });
});

describe("tokenTimes and tokenState: the refresh time and the serving limits together", () => {
  const token = (lifetime: number, refreshIn?: number): AccessToken => ({
    token: "t",
    tokenType: "Bearer",
    expiresOnTimestamp: NOW + lifetime,
    refreshAfterTimestamp: refreshIn === undefined ? undefined : NOW + refreshIn,
  });

  it("names the states: fresh, due, must-wait in the last three minutes, expired in the last 30 s", () => {
    const times = tokenTimes(token(HOUR, 50 * MINUTE), NOW);
    expect(times).toEqual({
      refreshAt: NOW + 50 * MINUTE,
      mustWaitAt: NOW + 57 * MINUTE,
      expiredAt: NOW + HOUR - 30_000,
    });
    expect(tokenState(times, NOW)).toBe("fresh");
    expect(tokenState(times, NOW + 50 * MINUTE - 1)).toBe("fresh");
    expect(tokenState(times, NOW + 50 * MINUTE)).toBe("due");
    expect(tokenState(times, NOW + 57 * MINUTE)).toBe("must-wait");
    expect(tokenState(times, NOW + HOUR - 30_001)).toBe("must-wait");
    expect(tokenState(times, NOW + HOUR - 30_000)).toBe("expired");
    expect(tokenState(times, NOW + 2 * HOUR)).toBe("expired");
  });

  it("never puts the refresh time after the serving limit, whatever the token says", () => {
    expect(tokenTimes(token(HOUR, 59 * MINUTE), NOW).refreshAt).toBe(NOW + 57 * MINUTE);
    // A 300 s token with 165 s left is not fresh: its caller waits for a new one.
    const short = tokenTimes(token(300_000, 150_000), NOW);
    expect(tokenState(short, NOW + 135_000)).toBe("must-wait");
  });

  it("gives a token without refreshAfterTimestamp the rule's refresh time, without jitter", () => {
    expect(tokenTimes(token(HOUR), NOW).refreshAt).toBe(NOW + 55 * MINUTE);
    expect(tokenTimes(token(8 * MINUTE), NOW).refreshAt).toBe(NOW + 4 * MINUTE);
  });

  it("keeps refreshAt ≤ mustWaitAt ≤ expiredAt for any token", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 48 * HOUR }),
        fc.option(fc.integer({ min: -HOUR, max: 48 * HOUR }), { nil: undefined }),
        (lifetime, refreshIn) => {
          const times = tokenTimes(token(lifetime, refreshIn), NOW);
          expect(times.refreshAt).toBeLessThanOrEqual(times.mustWaitAt);
          expect(times.mustWaitAt).toBeLessThanOrEqual(times.expiredAt);
        },
      ),
    );
  });
});
