import type { AccessToken } from "@azure/core-auth";

const TWO_HOURS = 2 * 60 * 60_000;
const FIVE_MINUTES = 5 * 60_000;
const MAX_JITTER = 60_000;
/** No token is ever served with less than this left: it could expire on its way to the resource. */
export const EXPIRY_MARGIN_MS = 30_000;
/**
 * A stale token (past its refresh time) is still served at once only while it has more than this left.
 * Clients that renew on their own timer shortly before expiry must get a new token then, not the old one:
 * core-amqp (Service Bus, Event Hubs) renews at `expiresOn − 2 min` and schedules the next renewal from the
 * token it gets, so an old token makes it renew again at once (or never); a minute more covers the put-token's
 * round trip and a clock step.
 */
export const STALE_SERVING_MARGIN_MS = 3 * 60_000;
/** A `refresh_in` shorter than this (or than half the lifetime) is raised to it: `refresh_in: 0` must not mean a refresh on every call. */
const MIN_REFRESH_IN = 60_000;

/**
 * The state of a cached token, named as core-rest-pipeline's token cycler names its refresh windows
 * (`shouldRefresh`: due; `mustRefresh`: must-wait and expired):
 * - `fresh`: served, no I/O;
 * - `due`: served at once, and one background refresh starts;
 * - `must-wait`: the caller waits for a refresh, and gets this token if that refresh fails;
 * - `expired`: never served; the caller waits for a refresh and gets its error if it fails.
 * @internal
 */
export type TokenState = "fresh" | "due" | "must-wait" | "expired";

/**
 * The moments a token changes state, in the wall-clock epoch milliseconds of its `expiresOnTimestamp`;
 * always `refreshAt ≤ mustWaitAt ≤ expiredAt`.
 * @internal
 */
export interface TokenTimes {
  /** From then on the token is due: it is refreshed in the background. */
  readonly refreshAt: number;
  /** From then on (three minutes before expiry) a caller waits for a new token. */
  readonly mustWaitAt: number;
  /** From then on (30 s before expiry) the token is never served. */
  readonly expiredAt: number;
}

/**
 * When a token should be refreshed, in epoch milliseconds: the endpoint's `refresh_in` when given
 * (but not sooner than a minute, or half the lifetime for shorter tokens),
 * else half the lifetime for tokens of two hours or more, else five minutes before expiry (half the
 * lifetime for tokens shorter than ten minutes). A little random jitter, at most 5% of the lifetime
 * and one minute, is taken off so that a fleet of processes does not refresh in lock-step. Never later
 * than the token's must-wait time (three minutes before expiry), nor before `now`.
 * @internal
 */
export function refreshAfter(
  now: number,
  expiresOn: number,
  refreshInMs: number | undefined,
  random: () => number = Math.random,
): number {
  const lifetime = expiresOn - now;
  let at: number;
  if (refreshInMs !== undefined && refreshInMs < lifetime)
    at = now + Math.max(refreshInMs, Math.min(MIN_REFRESH_IN, lifetime / 2));
  else if (lifetime >= TWO_HOURS) at = now + lifetime / 2;
  else if (lifetime > 2 * FIVE_MINUTES) at = expiresOn - FIVE_MINUTES;
  else at = now + lifetime / 2;
  const jitter = random() * Math.min(lifetime * 0.05, MAX_JITTER);
  return Math.max(now, Math.floor(Math.min(at - jitter, expiresOn - STALE_SERVING_MARGIN_MS)));
}

/**
 * The refresh time and the serving limits of a token, together: its `refreshAfterTimestamp` (or, for a token
 * without one, {@link refreshAfter}'s rule without jitter from `fetchedAt`), never after its must-wait time,
 * so that a token is never fresh in its last three minutes.
 * @internal
 */
export function tokenTimes(token: AccessToken, fetchedAt: number): TokenTimes {
  const expiredAt = token.expiresOnTimestamp - EXPIRY_MARGIN_MS;
  const mustWaitAt = token.expiresOnTimestamp - STALE_SERVING_MARGIN_MS;
  const refreshAt =
    token.refreshAfterTimestamp ?? refreshAfter(fetchedAt, token.expiresOnTimestamp, undefined, () => 0);
  return { refreshAt: Math.min(refreshAt, mustWaitAt), mustWaitAt, expiredAt };
}

/**
 * The state of a token whose times are `times`, at the moment `now` (on the same clock).
 * @internal
 */
export function tokenState(times: TokenTimes, now: number): TokenState {
  if (now < times.refreshAt) return "fresh";
  if (now < times.mustWaitAt) return "due";
  if (now < times.expiredAt) return "must-wait";
  return "expired";
}
