/** How an exponential back-off grows. */
export interface BackoffRule {
  /** The wait after the first failure, in milliseconds. */
  readonly initialMs: number;
  /** The longest wait, in milliseconds. */
  readonly maxMs: number;
  /**
   * Whether the wait is drawn uniformly between half and all of the exponential value, so that many
   * processes that failed together do not retry together.
   */
  readonly jitter?: boolean;
}

/**
 * The wait after `failures` consecutive failures (1 for the first): `initialMs` doubled for each failure
 * after the first, capped at `maxMs`, with jitter when the rule asks for it. The one exponential back-off
 * of the package (retries, detection, background refresh).
 * @internal
 */
export function backoff(failures: number, rule: BackoffRule): number {
  // 0 × 2^1100 is NaN: a zero start stays zero however many failures.
  const exponential = rule.initialMs === 0 ? 0 : rule.initialMs * 2 ** Math.max(0, failures - 1);
  const capped = Math.min(exponential, rule.maxMs);
  return rule.jitter ? capped / 2 + Math.random() * (capped / 2) : capped;
}
