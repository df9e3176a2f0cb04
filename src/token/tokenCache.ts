import type { AccessToken, GetTokenOptions } from "@azure/core-auth";
import { awaitBackground, markBackground } from "../shared/backgroundTimers.js";
import { logger } from "../logger.js";
import { timerBound } from "../shared/timerBound.js";
import { createAbortError } from "../shared/abort.js";
import { STALE_SERVING_MARGIN_MS } from "./refreshTiming.js";
import { scopeToResource } from "./resource.js";

const BACKGROUND_RETRY_MIN_MS = 10_000;
const BACKGROUND_RETRY_MAX_MS = 5 * 60_000;

/**
 * The most resources one cache holds; past it, the least recently used is dropped first. A service asks
 * for a handful; a credential asked for every resource of a tenant must not grow without bound.
 */
export const MAX_CACHED_RESOURCES = 1000;
/** Expired entries are swept on a miss at most this often (and always when the cache is full). */
const SWEEP_INTERVAL_MS = 60_000;

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

/** One request for a token, shared by every caller that waits for it. */
interface Flight {
  readonly entry: Entry;
  /** The claims it asks for: only a caller with the same claims joins it. */
  readonly claims: string | undefined;
  /** Its place in the entry's order of flights: an older flight's token never replaces a newer one's. */
  readonly sequence: number;
  readonly promise: Promise<AccessToken>;
  readonly controller: AbortController;
  /** A background refresh runs to the end even when no caller waits for it. */
  readonly background: boolean;
  waiters: number;
  settled: boolean;
}

/** Times are `performance.now()` milliseconds: a wall-clock step moves none of them. */
interface Entry {
  readonly resource: string;
  /** Every scope string that names this resource: evicting the entry removes them all. */
  readonly scopes: string[];
  token: AccessToken | undefined;
  /** Until then the token is fresh. */
  refreshAt: number;
  /** From then on the token is never served: callers wait for a new one (three minutes before its expiry). */
  servedUntil: number;
  flight: Flight | undefined;
  /** The number of flights started, and the sequence of the flight whose token is held. */
  flights: number;
  tokenSequence: number;
  /** After a failed background refresh, the next one waits until then. */
  backgroundRetryAt: number;
  backgroundFailures: number;
  lastUsed: number;
}

/**
 * The per-credential token cache with single-flight and background refresh:
 * - fresh (before `refreshAfterTimestamp`): the cached token, no I/O;
 * - stale but valid (until three minutes before expiry): the cached token at once, and one background
 *   refresh whose failure is logged and retried after a back-off, never thrown at a caller;
 * - expired or missing: the caller waits for the request, shared with every concurrent caller.
 *
 * Freshness counts down on `performance.now()` from the lifetime the token had when it arrived, so a
 * wall-clock step (NTP, a suspended VM, a hand-set clock) decides neither freshness nor back-offs; the
 * token's own `expiresOnTimestamp` stays wall-clock epoch milliseconds, which is what core-rest-pipeline
 * compares with `Date.now()`.
 *
 * Entries are keyed by the scope string as given, several scopes naming one resource share an entry,
 * so a hit is one `Map.get` and allocates nothing but the promise it returns, whatever the number of
 * tokens cached. At most {@link MAX_CACHED_RESOURCES} resources are held: expired entries are swept, then
 * the least recently used goes first; a failed request leaves no entry.
 * @internal
 */
export class TokenCache {
  private readonly byScope = new Map<string, Entry>();
  private readonly byResource = new Map<string, Entry>();
  private nextSweep = 0;

  constructor(
    private readonly fetchToken: FetchToken,
    private readonly timeoutError: (timeoutMs: number) => Error,
    private readonly maxResources = MAX_CACHED_RESOURCES,
  ) {}

  /** How many resources are held (tests, diagnostics). */
  get size(): number {
    return this.byResource.size;
  }

  getToken(scope: string, options?: GetTokenOptions): Promise<AccessToken> {
    // Already cancelled: no request, not even a shared one.
    if (options?.abortSignal?.aborted) return Promise.reject(createAbortError());
    const now = performance.now();
    const entry = this.byScope.get(scope) ?? this.addEntry(scope, now);
    entry.lastUsed = now;
    const token = entry.token;
    // Claims (a CAE challenge) say the cached token was refused: never serve it, nor a request already under way.
    const claims = options?.claims || undefined;
    if (token !== undefined && claims === undefined) {
      if (now < entry.refreshAt) return Promise.resolve(token);
      if (now < entry.servedUntil) {
        this.refreshInBackground(entry, now);
        return Promise.resolve(token);
      }
    }
    // Without claims any request under way will do (one with claims brings a new token too); with claims, only
    // one asking for the same claims.
    const current = entry.flight;
    const joinable = current !== undefined && (claims === undefined || current.claims === claims) ? current : undefined;
    const flight = joinable ?? this.startFlight(entry, false, options, claims === undefined ? undefined : token);
    // A caller now waits for a background refresh: its timers must hold the process again.
    if (flight.background) awaitBackground(flight.controller.signal);
    flight.waiters++;
    return this.wait(flight, options);
  }

  private addEntry(scope: string, now: number): Entry {
    const resource = scopeToResource(scope);
    let entry = this.byResource.get(resource);
    if (entry === undefined) {
      this.makeRoom(now);
      entry = {
        resource,
        scopes: [],
        token: undefined,
        refreshAt: 0,
        servedUntil: 0,
        flight: undefined,
        flights: 0,
        tokenSequence: 0,
        backgroundRetryAt: 0,
        backgroundFailures: 0,
        lastUsed: now,
      };
      this.byResource.set(resource, entry);
    }
    entry.scopes.push(scope);
    this.byScope.set(scope, entry);
    return entry;
  }

  /** Before a new entry: drops the expired ones (now and then, or when full), then the least recently used. */
  private makeRoom(now: number): void {
    const full = this.byResource.size >= this.maxResources;
    if (!full && now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    let leastRecent: Entry | undefined;
    for (const entry of this.byResource.values()) {
      // Entries whose request is under way stay: a caller waits for them.
      if (entry.flight !== undefined) continue;
      if (now >= entry.servedUntil) this.remove(entry);
      else if (leastRecent === undefined || entry.lastUsed < leastRecent.lastUsed) leastRecent = entry;
    }
    if (this.byResource.size >= this.maxResources && leastRecent !== undefined) this.remove(leastRecent);
  }

  private remove(entry: Entry): void {
    if (this.byResource.get(entry.resource) === entry) this.byResource.delete(entry.resource);
    for (const scope of entry.scopes) if (this.byScope.get(scope) === entry) this.byScope.delete(scope);
  }

  /** After a request failed or was abandoned: an entry with nothing to serve and nothing under way goes. */
  private dropIfEmpty(entry: Entry): void {
    if (entry.flight === undefined && !(entry.token !== undefined && performance.now() < entry.servedUntil)) {
      this.remove(entry);
    }
  }

  private refreshInBackground(entry: Entry, now: number): void {
    if (entry.flight !== undefined || now < entry.backgroundRetryAt) return;
    logger.info(`Refreshing the token for ${entry.resource} in the background.`);
    this.startFlight(entry, true);
  }

  private startFlight(entry: Entry, background: boolean, options?: GetTokenOptions, revoked?: AccessToken): Flight {
    const controller = new AbortController();
    // Nobody waits for a background refresh: its back-offs and per-try timers must not hold the process.
    if (background) markBackground(controller.signal);
    const claims = options?.claims || undefined;
    // Only the starting caller's tracing, claims and CAE opt-in go along: its signal and timeout must not end a
    // shared request.
    let fetchOptions: GetTokenOptions | undefined;
    if (options?.tracingOptions || claims !== undefined || options?.enableCae || options?.tenantId) {
      fetchOptions = {};
      if (options?.tracingOptions) fetchOptions.tracingOptions = options.tracingOptions;
      // The same for every caller of this cache: the credential keeps one cache per tenant where it matters.
      if (options?.tenantId) fetchOptions.tenantId = options.tenantId;
      if (claims !== undefined) fetchOptions.claims = claims;
      if (options?.enableCae) fetchOptions.enableCae = true;
    }
    const sequence = ++entry.flights;
    const promise = this.fetchToken(entry.resource, controller.signal, fetchOptions, revoked).then(
      (token) => {
        flight.settled = true;
        if (entry.flight === flight) entry.flight = undefined;
        // A request that was overtaken (by one with claims) must not put back the token that was refused.
        if (sequence > entry.tokenSequence) {
          // The lifetime left, measured now, counts down on the monotonic clock from here on.
          const now = performance.now();
          const wallNow = Date.now();
          entry.token = token;
          entry.tokenSequence = sequence;
          entry.refreshAt = now + (token.refreshAfterTimestamp! - wallNow);
          entry.servedUntil = now + (token.expiresOnTimestamp - STALE_SERVING_MARGIN_MS - wallNow);
        }
        entry.backgroundFailures = 0;
        entry.backgroundRetryAt = 0;
        return token;
      },
      (error: unknown) => {
        flight.settled = true;
        if (entry.flight === flight) entry.flight = undefined;
        if (background) {
          entry.backgroundFailures++;
          const backoff = Math.min(
            BACKGROUND_RETRY_MIN_MS * 2 ** (entry.backgroundFailures - 1),
            BACKGROUND_RETRY_MAX_MS,
          );
          entry.backgroundRetryAt = performance.now() + backoff;
          logger.warning(
            `The background refresh of the token for ${entry.resource} failed; the cached token is still valid and the refresh is retried in ${Math.round(backoff / 1000)} s: ${(error as Error)?.message ?? String(error)}`,
          );
        }
        this.dropIfEmpty(entry);
        throw error;
      },
    );
    // A background refresh may have no waiter at all: its failure must never be an unhandled rejection.
    promise.catch(() => undefined);
    const flight: Flight = { entry, claims, sequence, promise, controller, background, waiters: 0, settled: false };
    entry.flight = flight;
    return flight;
  }

  /** The caller's view of a shared flight: it may stop waiting (abort, timeout) without cancelling it for others. */
  private wait(flight: Flight, options: GetTokenOptions | undefined): Promise<AccessToken> {
    const signal = options?.abortSignal;
    const requested = options?.requestOptions?.timeout;
    // As tryTimeoutPolicy: 0, negative, NaN or Infinity is no bound.
    const timeout = timerBound(requested);
    if (signal === undefined && timeout === undefined) {
      return flight.promise.finally(() => this.leave(flight));
    }
    return new Promise<AccessToken>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let done = false;
      // The first of abort, timeout or the flight's end settles this caller; it leaves the flight once.
      const finish = (settle: () => void): void => {
        if (done) return;
        done = true;
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.leave(flight);
        settle();
      };
      const onAbort = (): void => finish(() => reject(createAbortError()));
      signal?.addEventListener("abort", onAbort);
      if (timeout !== undefined) timer = setTimeout(() => finish(() => reject(this.timeoutError(requested!))), timeout);
      flight.promise.then(
        (token) => finish(() => resolve(token)),
        (error: unknown) => finish(() => reject(error)),
      );
    });
  }

  private leave(flight: Flight): void {
    flight.waiters--;
    // Nobody waits for this request any more: stop it, so that a hung endpoint holds nothing,
    // and detach it at once, so that a caller arriving before it settles starts a new one.
    if (flight.waiters === 0 && !flight.settled && !flight.background) {
      if (flight.entry.flight === flight) flight.entry.flight = undefined;
      flight.controller.abort();
      this.dropIfEmpty(flight.entry);
    }
  }
}
