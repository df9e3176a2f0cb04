import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CliStream } from "../../src/cli/io.js";
import { PROGRESS_DELAY_MS, withProgress } from "../../src/cli/progress.js";

function stream(isTTY: boolean): CliStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
}

/** A promise settled by hand, to hold the "slow endpoint" as long as the test wants. */
function gate<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("withProgress", () => {
  it("on a terminal, a slow wait draws a spinner with the label and elapsed time, then erases it", async () => {
    const err = stream(true);
    const slow = gate<string>();
    const result = withProgress(err, "waiting for IMDS", slow.promise);
    await vi.advanceTimersByTimeAsync(PROGRESS_DELAY_MS + 1000);
    expect(err.written.length).toBeGreaterThan(5);
    expect(err.written[0]).toMatch(/^\r\x1b\[2K. waiting for IMDS \(0\.3 s\)$/);
    expect(err.written.at(-1)).toMatch(/waiting for IMDS \(1\.\d s\)$/);
    slow.resolve("token");
    expect(await result).toBe("token");
    expect(err.written.at(-1)).toBe("\r\x1b[2K");
    const count = err.written.length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(err.written.length).toBe(count);
  });

  it("on a terminal, a quick answer draws nothing", async () => {
    const err = stream(true);
    const quick = gate<number>();
    const result = withProgress(err, "waiting", quick.promise);
    await vi.advanceTimersByTimeAsync(PROGRESS_DELAY_MS - 1);
    quick.resolve(1);
    expect(await result).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(err.written).toEqual([]);
  });

  it("not a terminal (a pipe, a log file): nothing at all, however long the wait", async () => {
    const err = stream(false);
    const slow = gate<number>();
    const result = withProgress(err, "waiting", slow.promise);
    await vi.advanceTimersByTimeAsync(10_000);
    slow.resolve(2);
    expect(await result).toBe(2);
    expect(err.written).toEqual([]);
  });

  it("a failure is passed on, and the spinner erased", async () => {
    const err = stream(true);
    const slow = gate<never>();
    const result = withProgress(err, "waiting", slow.promise);
    const settled = result.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(PROGRESS_DELAY_MS + 100);
    slow.reject(new Error("refused"));
    expect(await settled).toMatchObject({ message: "refused" });
    expect(err.written.at(-1)).toBe("\r\x1b[2K");
  });
});
