/** The longest delay `setTimeout` takes; above it, Node fires after 1 ms. @internal */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A user-given time limit as a timer can hold it: `undefined` (no limit) for 0, a negative number,
 * `NaN` or `Infinity`, as core-rest-pipeline's own `timeout: 0`; otherwise at most {@link MAX_TIMER_MS}.
 * Without this, `setTimeout` turns each of those values into 1 ms and fails the operation at once.
 * @internal
 */
export function timerBound(ms: number | undefined): number | undefined {
  return ms !== undefined && ms > 0 && Number.isFinite(ms) ? Math.min(ms, MAX_TIMER_MS) : undefined;
}
