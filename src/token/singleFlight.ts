import type { GetTokenOptions } from "@azure/core-auth";
import { awaitBackground, markBackground } from "../shared/backgroundTimers.js";
import { waitWithDeadline } from "../shared/waitWithDeadline.js";

/**
 * One request shared by every caller that waits for it. Each caller may stop waiting (its abort signal, its
 * timeout) without cancelling the request for the others; once the last one has left, the request is aborted,
 * so that a hung endpoint holds nothing. A background request (nobody waits for it) runs to its end, and its
 * timers and sockets do not hold the process until a caller joins it.
 * @internal
 */
export class Flight<T> {
  readonly promise: Promise<T>;
  readonly controller = new AbortController();
  private waiters = 0;
  private settled = false;

  /**
   * Starts `run` at once with the flight's signal; `onAbandoned` is called when the last caller leaves before
   * it settles (never for a background flight).
   */
  constructor(
    run: (signal: AbortSignal) => Promise<T>,
    readonly background: boolean,
    private readonly onAbandoned: () => void,
  ) {
    // Nobody waits for a background refresh: its back-offs, per-try timers and sockets must not hold the process.
    if (background) markBackground(this.controller.signal);
    this.promise = run(this.controller.signal).then(
      (value) => {
        this.settled = true;
        return value;
      },
      (error: unknown) => {
        this.settled = true;
        throw error;
      },
    );
    // A background flight may have no waiter at all: its failure must never be an unhandled rejection.
    this.promise.catch(() => undefined);
  }

  /**
   * One caller's view of the flight: the first of its abort, its timeout (`requestOptions.timeout`, rejected
   * with `timeoutError`) or the flight's end settles it. When the flight fails, `fallback` may give the
   * caller a value instead of the error.
   */
  wait(
    options: GetTokenOptions | undefined,
    timeoutError: (timeoutMs: number) => Error,
    fallback?: (error: unknown) => T | undefined,
  ): Promise<T> {
    // A caller now waits for a background flight: its timers and sockets must hold the process again.
    if (this.background) awaitBackground(this.controller.signal);
    this.waiters++;
    const settled =
      fallback === undefined
        ? this.promise
        : this.promise.catch((error: unknown) => {
            const value = fallback(error);
            if (value === undefined) throw error;
            return value;
          });
    return waitWithDeadline(settled, {
      abortSignal: options?.abortSignal,
      timeoutInMs: options?.requestOptions?.timeout,
      timeoutError,
      // The first of abort, timeout or the flight's end: the caller leaves the flight, once.
      onDone: () => this.leave(),
    });
  }

  private leave(): void {
    this.waiters--;
    if (this.waiters === 0 && !this.settled && !this.background) {
      // Detached first, so that a caller arriving before it settles starts a new one.
      this.onAbandoned();
      this.controller.abort();
    }
  }
}
