// Shared by the conformance suites: replaying a recorded answer at the time it was recorded, and
// catching what a promise rejects with.
import { vi } from "vitest";

/**
 * Fakes `Date` only (timers and sockets stay real) at `at`, so that an answer recorded on a real host,
 * whose expiry is long past, is read as it was when it was recorded.
 */
export function atRecordingTime(at: string): void {
  vi.useFakeTimers({ toFake: ["Date"], now: new Date(at) });
}

/** What `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection, got a token");
}

/** Epoch seconds, as a string, `seconds` from now (on the fake clock when there is one). */
export function secondsFromNow(seconds: number): string {
  return String(Math.floor(Date.now() / 1000) + seconds);
}
