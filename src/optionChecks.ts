import type { ManagedIdentityRetryOptions } from "./options.js";
import { MAX_TIMER_MS } from "./shared/timerBound.js";

/**
 * The range a numeric option takes, as a message names it.
 * @internal
 */
export interface WholeNumberRange {
  min: number;
  max: number;
}

/** A time in milliseconds: 0 up to the longest delay one timer holds (about 24.8 days). @internal */
export const MILLISECONDS_RANGE: WholeNumberRange = { min: 0, max: MAX_TIMER_MS };

/** A back-off: 0 or more milliseconds (a wait longer than one timer holds is made of several). @internal */
export const DELAY_RANGE: WholeNumberRange = { min: 0, max: Number.MAX_SAFE_INTEGER };

/** A count of retries: 0 or more. @internal */
export const RETRIES_RANGE: WholeNumberRange = { min: 0, max: Number.MAX_SAFE_INTEGER };

/**
 * Throws a `TypeError` naming `name` and the range unless `value` is `undefined` or a whole number within
 * `range`. `NaN`, `Infinity`, negative and fractional numbers slip through every comparison (`retry >= NaN`
 * is never true, `setTimeout(NaN)` fires at once), so they are refused here, before anything is sent.
 * `given` is how the message shows the value (the command line shows the text typed).
 * @internal
 */
export function checkWholeNumber(value: unknown, name: string, range: WholeNumberRange, given?: string): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isInteger(value) || value < range.min || value > range.max) {
    const shown = given ?? (typeof value === "number" ? String(value) : typeof value);
    throw new TypeError(`${name} must be a whole number from ${range.min} to ${range.max}, not ${shown}.`);
  }
}

/**
 * Checks every number of {@link ManagedIdentityRetryOptions}: whole numbers, retries and back-offs 0 or more
 * (up to `Number.MAX_SAFE_INTEGER`), a try's timeout from 0 to 2^31-1 ms (what one timer holds). 0 keeps its
 * documented meaning (no retry, no delay, no bound on a try).
 * @internal
 */
export function checkRetryOptions(options: ManagedIdentityRetryOptions | undefined): void {
  if (options === undefined) return;
  checkWholeNumber(options.maxRetries, "retryOptions.maxRetries", RETRIES_RANGE);
  checkWholeNumber(options.retryDelayInMs, "retryOptions.retryDelayInMs", DELAY_RANGE);
  checkWholeNumber(options.maxRetryDelayInMs, "retryOptions.maxRetryDelayInMs", DELAY_RANGE);
  checkWholeNumber(options.tryTimeoutInMs, "retryOptions.tryTimeoutInMs", MILLISECONDS_RANGE);
}
