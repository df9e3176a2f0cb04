import { vi } from "vitest";

// Captured before any test fakes the timers: the driver below needs the real event loop to let
// loopback I/O complete while the fake clock stands still.
const realSetImmediate = globalThis.setImmediate;
const realHrtime = process.hrtime.bigint.bind(process.hrtime);

/** A whole second, so that an HTTP-date `Retry-After` (second resolution) maps to an exact delay. */
export const FAKE_START = new Date("2025-06-01T12:00:00.000Z");

/**
 * Fakes the timers, `Date` and `performance.now()` (the cache's monotonic clock), not `setImmediate` or
 * `nextTick`, which Node's sockets and the driver below rely on, starting at {@link FAKE_START}.
 */
export function useFakeClock(): void {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"],
    now: FAKE_START,
  });
}

/**
 * Fakes `Date` and `performance.now()` only (timers stay real): {@link passTimeUntil} then lets time pass on
 * both clocks, and `vi.setSystemTime` steps the wall clock alone, as NTP or a hand-set clock does.
 */
export function useFakeClocks(now: number = FAKE_START.getTime()): void {
  vi.useFakeTimers({ toFake: ["Date", "performance"], now });
}

/** Lets time pass, on the wall clock and the monotonic clock alike, until `Date.now()` is `epochMs`. */
export function passTimeUntil(epochMs: number): void {
  vi.advanceTimersByTime(epochMs - Date.now());
}

/** Options of {@link settleWithFakeClock}. */
export interface SettleOptions {
  /** True while real I/O is under way: a pending fake timer is then a try timeout, not a retry delay. */
  busy?: () => boolean;
  /** How many fake timers may fire before the promise is declared stuck in a retry loop. */
  maxTimers?: number;
  /** How long (real ms) to wait for I/O between two timers before declaring the promise stuck. */
  maxIdleMs?: number;
}

/**
 * Waits for `promise` under fake timers: lets real I/O run, and whenever nothing is in flight and
 * a fake timer is pending (a retry delay), jumps the clock exactly to it. Fails instead of looping
 * forever when the code under test keeps scheduling timers or stops making progress.
 */
export async function settleWithFakeClock<T>(promise: Promise<T>, options: SettleOptions = {}): Promise<T> {
  const { busy = () => false, maxTimers = 500, maxIdleMs = 5_000 } = options;
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  let fired = 0;
  let idleSince = realHrtime();
  for (;;) {
    await new Promise<void>((resolve) => realSetImmediate(resolve));
    if (settled) return promise;
    if (!busy() && vi.getTimerCount() > 0) {
      if (++fired > maxTimers)
        throw new Error(`still not settled after ${maxTimers} fake timers: a retry loop that does not end?`);
      await vi.advanceTimersToNextTimerAsync();
      idleSince = realHrtime();
    } else if (Number((realHrtime() - idleSince) / 1_000_000n) > maxIdleMs) {
      throw new Error(`no progress for ${maxIdleMs} ms (busy: ${busy()}, timers: ${vi.getTimerCount()})`);
    }
  }
}

/**
 * Lets the real event loop run (loopback I/O) until `predicate` holds, without moving the fake
 * clock; fails after `maxMs` real milliseconds.
 */
export async function waitForReal(predicate: () => boolean, maxMs = 5_000): Promise<void> {
  const start = realHrtime();
  while (!predicate()) {
    if (Number((realHrtime() - start) / 1_000_000n) > maxMs) throw new Error(`condition not met within ${maxMs} ms`);
    await new Promise<void>((resolve) => realSetImmediate(resolve));
  }
}
