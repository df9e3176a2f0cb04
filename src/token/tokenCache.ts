import type { AccessToken, GetTokenOptions } from "@azure/core-auth";
import { logger } from "../logger.js";
import { createAbortError } from "../shared/abort.js";
import { backoff, type BackoffRule } from "../shared/backoff.js";
import { BoundedStore, type EntryStatus, type StoredEntry } from "./boundedStore.js";
import { type TokenState, type TokenTimes, tokenState, tokenTimes } from "./refreshTiming.js";
import { Flight } from "./singleFlight.js";

/** A failed background refresh is retried after 10 s, 20 s, 40 s … at most 5 minutes. */
const BACKGROUND_RETRY: BackoffRule = { initialMs: 10_000, maxMs: 5 * 60_000 };

/**
 * The most resources one cache holds, all partitions (tenants) together; past it, the least recently used is
 * dropped first. A service asks for a handful; a credential asked for every resource of a tenant, or for every
 * tenant a challenge names, must not grow without bound.
 */
export const MAX_CACHED_RESOURCES = 1000;

/**
 * Gets a new token for a resource; `signal` aborts it when nobody waits for it any more. With `claims` (a CAE
 * challenge), `revoked` is the token the cache holds for it, which the resource just refused: Service Fabric
 * is told its hash, so that it issues a new one instead of its own cached copy.
 */
export type FetchToken = (
  resource: string,
  signal: AbortSignal,
  options: GetTokenOptions | undefined,
  revoked?: AccessToken,
) => Promise<AccessToken>;

/**
 * What the cache did for one call, for tracing: the state of the token it held (`missing` when none, or when
 * claims refused it), and whether the call was answered from the cache alone (`none`), started a background
 * refresh (`background`) or waited for a request (`awaited`). Called synchronously, before the call's promise settles.
 * @internal
 */
export type CacheObserver = (state: TokenState | "missing", refresh: "none" | "background" | "awaited") => void;

/** One request for a token of an entry. */
interface TokenFlight {
  readonly flight: Flight<AccessToken>;
  /** The claims it asks for: only a caller with the same claims joins it. */
  readonly claims: string | undefined;
}

interface Entry extends StoredEntry {
  token: AccessToken | undefined;
  /** The token's state changes, in its own wall-clock epoch milliseconds. */
  times: TokenTimes;
  /** `Date.now() − performance.now()` when the token arrived: maps the monotonic clock onto the token's times. */
  clockOffset: number;
  flight: TokenFlight | undefined;
  /** The number of flights started, and the sequence of the flight whose token is held. */
  flights: number;
  tokenSequence: number;
  /** After a failed background refresh, the next one waits until then (`performance.now()`). */
  backgroundRetryAt: number;
  backgroundFailures: number;
}

const NO_TIMES: TokenTimes = { refreshAt: 0, mustWaitAt: 0, expiredAt: 0 };

/**
 * The per-credential token cache: each call finds its token's state (see {@link TokenState}) and acts on it:
 * - fresh: the cached token, no I/O;
 * - due: the cached token at once, and one background refresh whose failure is logged and retried after a
 *   back-off, never thrown at a caller;
 * - must-wait (the last three minutes): the caller waits for the refresh; if it fails, the caller gets the
 *   cached token while it is not expired;
 * - expired or missing: the caller waits for the request, and gets its error if it fails.
 * Concurrent callers share one request ({@link Flight}); the entries live in a {@link BoundedStore}.
 *
 * A token is fresh only while both clocks say so: the monotonic clock, counting from the lifetime the token had
 * when it arrived (a wall clock stepped back cannot make an old token look fresh), and the wall clock against
 * its `expiresOnTimestamp` (on a suspended or hibernated machine the monotonic clock stood still). Back-offs run
 * on the monotonic clock alone. `expiresOnTimestamp` stays wall-clock epoch milliseconds, which is what
 * core-rest-pipeline compares with `Date.now()`.
 * @internal
 */
export class TokenCache {
  private readonly store: BoundedStore<Entry>;

  constructor(
    private readonly fetchToken: FetchToken,
    private readonly timeoutError: (timeoutMs: number) => Error,
    maxResources = MAX_CACHED_RESOURCES,
  ) {
    this.store = new BoundedStore(maxResources, (entry) => this.status(entry));
  }

  /** How many resources are held, all partitions together (tests, diagnostics). */
  get size(): number {
    return this.store.size;
  }

  /**
   * A token for `scope` in `partition` (another tenant, CAE tokens: the engine names it; "" by default).
   * `observe` learns which state the call was served from.
   */
  getToken(scope: string, options?: GetTokenOptions, partition = "", observe?: CacheObserver): Promise<AccessToken> {
    // Already cancelled: no request, not even a shared one.
    if (options?.abortSignal?.aborted) return Promise.reject(createAbortError());
    const now = performance.now();
    const entry =
      this.store.get(partition, scope) ?? this.store.add(partition, scope, now, (r) => newEntry(partition, r, now));
    entry.lastUsed = now;
    const token = entry.token;
    // Claims (a CAE challenge) say the cached token was refused: never serve it, nor a request already under way.
    const claims = options?.claims || undefined;
    const state = token === undefined || claims !== undefined ? "missing" : this.stateOf(entry, now);
    if (state === "fresh") {
      observe?.(state, "none");
      return Promise.resolve(token!);
    }
    if (state === "due") {
      const started = this.refreshInBackground(entry, now);
      observe?.(state, started ? "background" : "none");
      return Promise.resolve(token!);
    }
    observe?.(state, "awaited");
    // Without claims any request under way will do (one with claims brings a new token too); with claims, only
    // one asking for the same claims.
    const current = entry.flight;
    const joinable = current !== undefined && (claims === undefined || current.claims === claims) ? current : undefined;
    const { flight } = joinable ?? this.startFlight(entry, false, options, claims === undefined ? undefined : token);
    // In the last minutes, a failed refresh must not turn a usable token into an outage.
    const fallback = state === "must-wait" ? () => this.usableToken(entry) : undefined;
    return flight.wait(options, this.timeoutError, fallback);
  }

  /**
   * The state of the entry's token at `now` (`performance.now()`), by both clocks: the token's timeline is read
   * at the later of the wall clock and the monotonic clock's count since the token arrived. A wall clock stepped
   * back cannot make an old token fresh; a suspended machine (its monotonic clock stood still) cannot either.
   */
  private stateOf(entry: Entry, now: number): TokenState {
    return tokenState(entry.times, Math.max(Date.now(), now + entry.clockOffset));
  }

  /** The entry's token, if it may still be served (not expired). */
  private usableToken(entry: Entry): AccessToken | undefined {
    if (entry.token === undefined || this.stateOf(entry, performance.now()) === "expired") return undefined;
    logger.warning(
      `The refresh of the token for ${entry.resource} failed; the cached token, still valid, is returned.`,
    );
    return entry.token;
  }

  private status(entry: Entry): EntryStatus {
    // Entries whose request is under way stay: a caller waits for them.
    if (entry.flight !== undefined) return "busy";
    return entry.token === undefined || this.stateOf(entry, performance.now()) === "expired" ? "expired" : "held";
  }

  /** After a request failed or was abandoned: an entry with nothing to serve and nothing under way goes. */
  private dropIfEmpty(entry: Entry): void {
    if (this.status(entry) === "expired") this.store.remove(entry);
  }

  /** Starts the background refresh unless one runs or a failed one's back-off has not passed; true if started. */
  private refreshInBackground(entry: Entry, now: number): boolean {
    if (entry.flight !== undefined || now < entry.backgroundRetryAt) return false;
    logger.info(`Refreshing the token for ${entry.resource} in the background.`);
    this.startFlight(entry, true);
    return true;
  }

  private startFlight(
    entry: Entry,
    background: boolean,
    options?: GetTokenOptions,
    revoked?: AccessToken,
  ): TokenFlight {
    const claims = options?.claims || undefined;
    // Only the starting caller's tracing, claims and CAE opt-in go along: its signal and timeout must not end a
    // shared request.
    let fetchOptions: GetTokenOptions | undefined;
    if (options?.tracingOptions || claims !== undefined || options?.enableCae || options?.tenantId) {
      fetchOptions = {};
      if (options?.tracingOptions) fetchOptions.tracingOptions = options.tracingOptions;
      // The same for every caller of this partition: the engine partitions by tenant where it matters.
      if (options?.tenantId) fetchOptions.tenantId = options.tenantId;
      if (claims !== undefined) fetchOptions.claims = claims;
      if (options?.enableCae) fetchOptions.enableCae = true;
    }
    const sequence = ++entry.flights;
    const detach = (): void => {
      if (entry.flight === tokenFlight) entry.flight = undefined;
    };
    const flight = new Flight<AccessToken>(
      (signal) =>
        this.fetchToken(entry.resource, signal, fetchOptions, revoked).then(
          (token) => {
            detach();
            // A request that was overtaken (by one with claims) must not put back the token that was refused.
            if (sequence > entry.tokenSequence) this.hold(entry, token, sequence);
            entry.backgroundFailures = 0;
            entry.backgroundRetryAt = 0;
            return token;
          },
          (error: unknown) => {
            detach();
            if (background) this.backOff(entry, error);
            this.dropIfEmpty(entry);
            throw error;
          },
        ),
      background,
      () => {
        detach();
        this.dropIfEmpty(entry);
      },
    );
    const tokenFlight: TokenFlight = { flight, claims };
    entry.flight = tokenFlight;
    return tokenFlight;
  }

  private hold(entry: Entry, token: AccessToken, sequence: number): void {
    // The lifetime left, measured now, counts down on the monotonic clock from here on.
    const wallNow = Date.now();
    entry.token = token;
    entry.tokenSequence = sequence;
    entry.times = tokenTimes(token, wallNow);
    entry.clockOffset = wallNow - performance.now();
  }

  private backOff(entry: Entry, error: unknown): void {
    entry.backgroundFailures++;
    const wait = backoff(entry.backgroundFailures, BACKGROUND_RETRY);
    entry.backgroundRetryAt = performance.now() + wait;
    logger.warning(
      `The background refresh of the token for ${entry.resource} failed; the cached token is still valid and the refresh is retried in ${Math.round(wait / 1000)} s: ${(error as Error)?.message ?? String(error)}`,
    );
  }
}

function newEntry(partition: string, resource: string, now: number): Entry {
  return {
    partition,
    resource,
    scopes: [],
    lastUsed: now,
    token: undefined,
    times: NO_TIMES,
    clockOffset: 0,
    flight: undefined,
    flights: 0,
    tokenSequence: 0,
    backgroundRetryAt: 0,
    backgroundFailures: 0,
  };
}
