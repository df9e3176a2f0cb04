import { afterEach, describe, expect, it, vi } from "vitest";
import { backoff } from "../../src/shared/backoff.js";

describe("backoff: the one exponential back-off", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("starts at initialMs and doubles for each further failure, up to maxMs", () => {
    const rule = { initialMs: 5_000, maxMs: 300_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((failures) => backoff(failures, rule))).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000,
    ]);
  });

  it("with jitter, draws between half and all of the exponential value", () => {
    const rule = { initialMs: 800, maxMs: 60_000, jitter: true };
    vi.spyOn(Math, "random").mockReturnValue(0);
    expect(backoff(1, rule)).toBe(400);
    expect(backoff(3, rule)).toBe(1_600);
    vi.spyOn(Math, "random").mockReturnValue(0.999999);
    expect(backoff(3, rule)).toBeCloseTo(3_200, 0);
    expect(backoff(20, rule)).toBeCloseTo(60_000, 0);
  });

  it("stays a number after many failures, and zero when it starts at zero", () => {
    expect(backoff(5_000, { initialMs: 1, maxMs: 1_000 })).toBe(1_000);
    expect(backoff(5_000, { initialMs: 0, maxMs: 1_000, jitter: true })).toBe(0);
  });
});
