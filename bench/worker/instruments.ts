import { performance } from "node:perf_hooks";
import type { Outcome } from "./spec.js";

/**
 * Replaces the global `Date` with one whose "now" can be moved forward, and moves `performance.now()`
 * with it, so that a 24 h token can be made due for refresh without waiting 12 hours. Installed before
 * the library is imported; theirs reads the clock through `Date.now()` or `new Date()`, ours counts
 * freshness down on `performance.now()`. Timers keep real time.
 */
export function installShiftableClock(): { jump(ms: number): void } {
  const RealDate = Date;
  let offset = 0;
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...(args as [string]));
    }
    static override now(): number {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
  const realNow = performance.now.bind(performance);
  performance.now = () => realNow() + offset;
  return {
    jump(ms: number) {
      offset += ms;
    },
  };
}

/**
 * Counts the `AbortController`s created and, after garbage collection, those still alive: a
 * library that retains one per fetch shows it here. Installed before the library is imported.
 */
export function installAbortControllerCounter(): { created(): number; alive(): Promise<number> } {
  const Original = globalThis.AbortController;
  let created = 0;
  let collected = 0;
  const registry = new FinalizationRegistry<undefined>(() => collected++);
  globalThis.AbortController = class CountedAbortController extends Original {
    constructor() {
      super();
      created++;
      registry.register(this, undefined);
    }
  };
  return {
    created: () => created,
    async alive() {
      await collectGarbage();
      return created - collected;
    },
  };
}

/** Full garbage collections, with turns of the event loop between them so finalizers run. Needs `--expose-gc`. */
export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc");
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits for a call, at most `capMs`, and says how it ended and when. */
export async function settle(call: () => Promise<unknown>, capMs: number): Promise<Outcome> {
  const start = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cap = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ settled: false, result: "did not settle", ms: performance.now() - start }),
      capMs,
    );
  });
  const attempt = call().then(
    (): Outcome => ({ settled: true, result: "token", ms: performance.now() - start }),
    (error: unknown): Outcome => ({
      settled: true,
      result: (error as Error)?.name ?? "error",
      ms: performance.now() - start,
      message: String((error as Error)?.message ?? error).slice(0, 300),
    }),
  );
  const outcome = await Promise.race([attempt, cap]);
  clearTimeout(timer);
  return outcome;
}
