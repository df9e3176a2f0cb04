const TWO_HOURS = 2 * 60 * 60_000;
const FIVE_MINUTES = 5 * 60_000;
const MAX_JITTER = 60_000;
/** The cache stops serving a token this close to its expiry (see tokenCache.ts); "fresh" must end before that. */
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
 * When a token should be refreshed, in epoch milliseconds: the endpoint's `refresh_in` when given
 * (but not sooner than a minute, or half the lifetime for shorter tokens),
 * else half the lifetime for tokens of two hours or more, else five minutes before expiry (half the
 * lifetime for tokens shorter than ten minutes). A little random jitter, at most 5% of the lifetime
 * and one minute, is taken off so that a fleet of processes does not refresh in lock-step.
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
  return Math.max(now, Math.floor(Math.min(at - jitter, expiresOn - EXPIRY_MARGIN_MS)));
}
