import { afterEach, describe, expect, it, vi } from "vitest";
import { waitWithDeadline } from "../../src/shared/waitWithDeadline.js";

const timeoutError = (ms: number): Error => new Error(`timed out after ${ms} ms`);

/** A promise settled from outside. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** An AbortSignal that counts its listeners. */
function countingSignal(): { controller: AbortController; listeners(): number } {
  const controller = new AbortController();
  let count = 0;
  const add = controller.signal.addEventListener.bind(controller.signal);
  const remove = controller.signal.removeEventListener.bind(controller.signal);
  controller.signal.addEventListener = ((...args: Parameters<typeof add>) => {
    count++;
    add(...args);
  }) as typeof add;
  controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    count--;
    remove(...args);
  }) as typeof remove;
  return { controller, listeners: () => count };
}

describe("waitWithDeadline: a caller's wait within its own limits", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("without limits hands back the promise itself", async () => {
    const promise = Promise.resolve(1);
    expect(waitWithDeadline(promise, { timeoutError })).toBe(promise);
    await expect(waitWithDeadline(Promise.reject(new Error("no")), { timeoutError })).rejects.toThrow("no");
  });

  it("settles with the promise, and leaves no timer or listener behind", async () => {
    vi.useFakeTimers();
    const { controller, listeners } = countingSignal();
    const work = deferred<string>();
    const onDone = vi.fn();
    const result = waitWithDeadline(work.promise, {
      abortSignal: controller.signal,
      timeoutInMs: 5_000,
      timeoutError,
      onDone,
    });
    expect(listeners()).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    work.resolve("token");
    await expect(result).resolves.toBe("token");
    expect(listeners()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(onDone).toHaveBeenCalledTimes(1);
  });

  it("times out with the caller's error, given the timeout as the caller gave it; the work goes on", async () => {
    vi.useFakeTimers();
    const { controller, listeners } = countingSignal();
    const work = deferred<string>();
    const onDone = vi.fn();
    const result = waitWithDeadline(work.promise, {
      abortSignal: controller.signal,
      timeoutInMs: 250,
      timeoutError,
      onDone,
    });
    const outcome = expect(result).rejects.toThrow("timed out after 250 ms");
    await vi.advanceTimersByTimeAsync(249);
    expect(onDone).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await outcome;
    expect(listeners()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // A failure after the caller left is neither unhandled nor reported twice.
    work.reject(new Error("late"));
    await Promise.resolve();
    expect(onDone).toHaveBeenCalledTimes(1);
  });

  it("stops at the caller's abort with an AbortError, and clears its timer", async () => {
    vi.useFakeTimers();
    const { controller, listeners } = countingSignal();
    const work = deferred<string>();
    const onDone = vi.fn();
    const result = waitWithDeadline(work.promise, {
      abortSignal: controller.signal,
      timeoutInMs: 5_000,
      timeoutError,
      onDone,
    });
    controller.abort();
    await expect(result).rejects.toMatchObject({ name: "AbortError" });
    expect(listeners()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(onDone).toHaveBeenCalledTimes(1);
    work.resolve("later");
  });

  it("rejects at once for a signal already aborted, and adds nothing to it", async () => {
    const { controller, listeners } = countingSignal();
    controller.abort();
    const work = deferred<string>();
    const onDone = vi.fn();
    await expect(
      waitWithDeadline(work.promise, { abortSignal: controller.signal, timeoutError, onDone }),
    ).rejects.toMatchObject({ name: "AbortError" });
    expect(listeners()).toBe(0);
    expect(onDone).toHaveBeenCalledTimes(1);
    work.reject(new Error("late"));
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])("a timeout of %s is no bound", async (timeoutInMs) => {
    vi.useFakeTimers();
    const work = deferred<string>();
    const result = waitWithDeadline(work.promise, { timeoutInMs, timeoutError, onDone: () => undefined });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    work.resolve("token");
    await expect(result).resolves.toBe("token");
  });

  it("calls onDone once when the promise fails without limits", async () => {
    const onDone = vi.fn();
    await expect(waitWithDeadline(Promise.reject(new Error("no")), { timeoutError, onDone })).rejects.toThrow("no");
    expect(onDone).toHaveBeenCalledTimes(1);
  });
});
