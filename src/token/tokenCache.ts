import type { AccessToken, GetTokenOptions } from "@azure/core-auth";
import { logger } from "../logger.js";
import { timerBound } from "../shared/timerBound.js";
import { createAbortError } from "../shared/abort.js";
import { STALE_SERVING_MARGIN_MS } from "./refreshTiming.js";
import { scopeToResource } from "./resource.js";

const BACKGROUND_RETRY_MIN_MS = 10_000;
const BACKGROUND_RETRY_MAX_MS = 5 * 60_000;

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

interface Entry {
  readonly resource: string;
  token: AccessToken | undefined;
  flight: Flight | undefined;
  /** The number of flights started, and the sequence of the flight whose token is held. */
  flights: number;
  tokenSequence: number;
  /** After a failed background refresh, the next one waits until then. */
  backgroundRetryAt: number;
  backgroundFailures: number;
}

/**
 * The per-credential token cache with single-flight and background refresh:
 * - fresh (before `refreshAfterTimestamp`): the cached token, no I/O;
 * - stale but valid (until three minutes before expiry): the cached token at once, and one background
 *   refresh whose failure is logged and retried after a back-off, never thrown at a caller;
 * - expired or missing: the caller waits for the request, shared with every concurrent caller.
 *
 * Entries are keyed by the scope string as given, several scopes naming one resource share an entry,
 * so a lookup is one `Map.get` whatever the number of tokens cached.
 * @internal
 */
export class TokenCache {
  private readonly byScope = new Map<string, Entry>();
  private readonly byResource = new Map<string, Entry>();

  constructor(
    private readonly fetchToken: FetchToken,
    private readonly timeoutError: (timeoutMs: number) => Error,
  ) {}

  getToken(scope: string, options?: GetTokenOptions): Promise<AccessToken> {
    // Already cancelled: no request, not even a shared one.
    if (options?.abortSignal?.aborted) return Promise.reject(createAbortError());
    const entry = this.byScope.get(scope) ?? this.addEntry(scope);
    const token = entry.token;
    // Claims (a CAE challenge) say the cached token was refused: never serve it, nor a request already under way.
    const claims = options?.claims || undefined;
    if (token !== undefined && claims === undefined) {
      const now = Date.now();
      if (now < token.refreshAfterTimestamp!) return Promise.resolve(token);
      if (now < token.expiresOnTimestamp - STALE_SERVING_MARGIN_MS) {
        this.refreshInBackground(entry, now);
        return Promise.resolve(token);
      }
    }
    // Without claims any request under way will do (one with claims brings a new token too); with claims, only
    // one asking for the same claims.
    const current = entry.flight;
    const joinable = current !== undefined && (claims === undefined || current.claims === claims) ? current : undefined;
    const flight = joinable ?? this.startFlight(entry, false, options, claims === undefined ? undefined : token);
    flight.waiters++;
    return this.wait(flight, options);
  }

  private addEntry(scope: string): Entry {
    const resource = scopeToResource(scope);
    let entry = this.byResource.get(resource);
    if (entry === undefined) {
      entry = {
        resource,
        token: undefined,
        flight: undefined,
        flights: 0,
        tokenSequence: 0,
        backgroundRetryAt: 0,
        backgroundFailures: 0,
      };
      this.byResource.set(resource, entry);
    }
    this.byScope.set(scope, entry);
    return entry;
  }

  private refreshInBackground(entry: Entry, now: number): void {
    if (entry.flight !== undefined || now < entry.backgroundRetryAt) return;
    logger.info(`Refreshing the token for ${entry.resource} in the background.`);
    this.startFlight(entry, true);
  }

  private startFlight(entry: Entry, background: boolean, options?: GetTokenOptions, revoked?: AccessToken): Flight {
    const controller = new AbortController();
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
          entry.token = token;
          entry.tokenSequence = sequence;
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
          entry.backgroundRetryAt = Date.now() + backoff;
          logger.warning(
            `The background refresh of the token for ${entry.resource} failed; the cached token is still valid and the refresh is retried in ${Math.round(backoff / 1000)} s: ${(error as Error)?.message ?? String(error)}`,
          );
        }
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
    }
  }
}
