import type { EmulatedRequest } from "./emulatedServer.js";

/**
 * One scripted answer: an HTTP status (`200` lets the request through to the emulated endpoint),
 * `"hang"` (accept the request and never answer) or `"reset"` (drop the connection).
 */
export type FaultStep = number | "hang" | "reset";

/**
 * Faults an emulated endpoint injects, so that an application can test its own retry handling.
 * They apply in this order: latency, hang, throttling, then the status sequence.
 */
export interface FaultOptions {
  /**
   * Answers to successive token requests, one step per request (e.g. `[503, 503, 200]`); after the last step
   * every request is answered normally. An Arc challenge and its answer are two requests. A token endpoint's
   * faults (all of these options) apply to token requests only: a detection probe passes untouched.
   */
  statusSequence?: FaultStep[];
  /** A `Retry-After` header (seconds, or an HTTP-date) on every injected 429, 410 and 5xx. */
  retryAfter?: number | string;
  /** A delay before every answer, in milliseconds. */
  latencyMs?: number;
  /** Accept every request and never answer it (until the emulator closes). */
  hang?: boolean;
  /** Answer 429 to every request after this many. */
  throttleAfter?: number;
  /** When set, the throttling count starts again every this many milliseconds, as a rate limit does. */
  throttleWindowMs?: number;
}

/** What to do with one request. @internal */
export type FaultDecision =
  { kind: "pass" } | { kind: "status"; status: number } | { kind: "hang" } | { kind: "reset" };

/**
 * Decides, request by request, which fault (if any) an endpoint injects.
 * @internal
 */
export class FaultInjector {
  private step = 0;
  private windowStart = 0;
  private inWindow = 0;

  constructor(
    private faults: FaultOptions = {},
    // Read at each call, so that a test's fake clock moves the throttling window too.
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The latency to add before answering. */
  get latencyMs(): number {
    return Math.max(0, this.faults.latencyMs ?? 0);
  }

  /** The `Retry-After` value for an injected answer with this status, if any. */
  retryAfterFor(status: number): string | undefined {
    const { retryAfter } = this.faults;
    if (retryAfter === undefined || !(status === 429 || status === 410 || status >= 500)) return undefined;
    return String(retryAfter);
  }

  /** Replaces the faults and starts their counts again. */
  configure(faults: FaultOptions): void {
    this.faults = faults;
    this.step = 0;
    this.inWindow = 0;
    this.windowStart = this.now();
  }

  /** The decision for the next request (each call counts one request). */
  next(): FaultDecision {
    const { hang, throttleAfter, throttleWindowMs, statusSequence } = this.faults;
    if (hang) return { kind: "hang" };

    const now = this.now();
    if (throttleWindowMs !== undefined && now - this.windowStart >= throttleWindowMs) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    this.inWindow++;
    if (throttleAfter !== undefined && this.inWindow > throttleAfter) return { kind: "status", status: 429 };

    const step = statusSequence?.[this.step];
    if (step === undefined) return { kind: "pass" };
    this.step++;
    if (step === "hang" || step === "reset") return { kind: step };
    return step >= 200 && step < 300 ? { kind: "pass" } : { kind: "status", status: step };
  }
}

/**
 * Whether a request asks a token endpoint for a token: it names a resource (`resource` in the query or the form,
 * Microsoft Entra's `scope`). The faults of a token endpoint apply to these only: the chain's IMDS probe and the
 * doctor's platform metadata GET carry none, and are answered as the real endpoint answers them.
 * @internal
 */
export function isTokenRequest(request: EmulatedRequest): boolean {
  if (request.url.searchParams.has("resource")) return true;
  if (request.method !== "POST") return false;
  const form = new URLSearchParams(request.body);
  return form.has("resource") || form.has("scope");
}

/**
 * Parses a fault sequence as a command line gives it: `410,410,200`, `hang,200`, `reset,500,200`.
 * @throws `TypeError` naming the step that is neither an HTTP status nor `hang`/`reset`.
 */
export function parseFaultSequence(text: string): FaultStep[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((step) => {
      if (step === "hang" || step === "reset") return step;
      const status = Number(step);
      if (!Number.isInteger(status) || status < 100 || status > 599) {
        throw new TypeError(`'${step}' is not an HTTP status (100-599), 'hang' or 'reset'.`);
      }
      return status;
    });
}
