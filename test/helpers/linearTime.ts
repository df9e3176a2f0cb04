import { performance } from "node:perf_hooks";

/**
 * The bound on {@link tenfoldGrowth} for a linear-time function: it grows about 10× (less when a fixed
 * cost dominates the small input), a quadratic one about 100×.
 */
export const LINEAR_GROWTH_BOUND = 40;

/**
 * How much longer `run` takes on an input ten times larger. No bound on the time itself, which depends on
 * the machine: each size is timed several times, interleaved, and its fastest run kept, so that a busy
 * machine (which only ever adds time) cannot fake a growth.
 */
export function tenfoldGrowth<T>(input: (size: number) => T, run: (input: T) => void, size = 10_000): number {
  const small = input(size);
  const large = input(size * 10);
  run(small); // compiled before it is timed
  run(large);
  let fastestSmall = Infinity;
  let fastestLarge = Infinity;
  for (let i = 0; i < 7; i++) {
    let started = performance.now();
    run(small);
    fastestSmall = Math.min(fastestSmall, performance.now() - started);
    started = performance.now();
    run(large);
    fastestLarge = Math.min(fastestLarge, performance.now() - started);
  }
  // Below the timer's resolution a run counts as 5 µs.
  return fastestLarge / Math.max(fastestSmall, 0.005);
}
