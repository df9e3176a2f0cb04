import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { refreshAfter } from "../../src/token/refreshTiming.js";

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

  it("ends freshness no later than 30 s before expiry, where the cache stops serving the token", () => {
    expect(refreshAfter(NOW, NOW + 40_000, undefined, noJitter)).toBe(NOW + 10_000);
    expect(refreshAfter(NOW, NOW + 40_000, 35_000, noJitter)).toBe(NOW + 10_000);
    expect(refreshAfter(NOW, NOW + 20_000, undefined, noJitter)).toBe(NOW);
  });

  it("honours the endpoint's refresh_in", () => {
    expect(refreshAfter(NOW, NOW + 24 * HOUR, 10 * MINUTE, noJitter)).toBe(NOW + 10 * MINUTE);
  });

  it("raises a refresh_in shorter than a minute, so that refresh_in: 0 does not refresh on every call", () => {
    expect(refreshAfter(NOW, NOW + HOUR, 0, noJitter)).toBe(NOW + MINUTE);
    expect(refreshAfter(NOW, NOW + HOUR, 20_000, noJitter)).toBe(NOW + MINUTE);
    expect(refreshAfter(NOW, NOW + 100_000, 0, noJitter)).toBe(NOW + 50_000);
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

  it("is never before now nor at or after the expiry, and within the jitter of its rule", () => {
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
          expect(at).toBeLessThanOrEqual(Math.max(NOW, NOW + lifetime - 30_000));
          expect(exact - at).toBeLessThanOrEqual(Math.min(0.05 * lifetime, MINUTE) + 1);
          expect(at).toBeLessThanOrEqual(exact);
        },
      ),
    );
  });
});
