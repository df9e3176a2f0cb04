import type { AccessToken, GetTokenOptions } from "@azure/core-auth";
import type { ManagedIdentitySourceName } from "../sources/source.js";
import { createTracingClient, type TracingSpan } from "@azure/core-tracing";
import { SDK_VERSION } from "../constants.js";
import type { UserAssignedIdentity } from "../userAssignedIdentity.js";

// The namespace @azure/identity gives its own getToken spans (src/util/tracing.ts: createTracingClient with
// namespace "Microsoft.AAD"), so that a trace shows a token from this package like one from @azure/identity.
const tracingClient = createTracingClient({
  namespace: "Microsoft.AAD",
  packageName: "azure-managed-identity",
  packageVersion: SDK_VERSION,
});

/**
 * The attributes of a `getToken` span. None says anything secret: no token, no claims, no identity id (the
 * kind of identity only), no header.
 * @internal
 */
export const TOKEN_SPAN_ATTRIBUTES = {
  /** The source the token came from (`imds`, `arc`, …), as `detectManagedIdentity` names it. */
  source: "az.managed_identity.source",
  /** `system-assigned`, or which id names the user-assigned identity (`clientId`, `objectId`, `resourceId`). */
  identity: "az.managed_identity.identity",
  /** Whether the token was served from the credential's cache (no request waited for). */
  cacheHit: "az.managed_identity.cache_hit",
  /** Whether this call started a refresh in the background (the cached token was stale but valid). */
  backgroundRefresh: "az.managed_identity.background_refresh",
  /** On failure: the error's `code` (`not-found`, `http-status`, …), else its name. */
  errorType: "error.type",
} as const;

// A valid W3C traceparent. An installed instrumenter (@azure/opentelemetry-instrumentation-azure-sdk) parses it;
// core-tracing's default, no-op one returns undefined, allocating nothing.
const PROBE_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

/**
 * Whether an instrumenter is installed. Without one every span is a no-op, but opening it still costs a span
 * object, two contexts and an options copy per call: the cache hit skips all that.
 * @internal
 */
export function isTracing(): boolean {
  return tracingClient.parseTraceparentHeader(PROBE_TRACEPARENT) !== undefined;
}

/**
 * Runs one `getToken` in a span named `<className>.getToken`, the child of the caller's
 * `tracingOptions.tracingContext`; `run` gets the options that make the HTTP spans its children. A failure
 * sets the status and `error.type` to the error's name and code only: its message may name an identity id.
 * @internal
 */
export function traceGetToken(
  className: string,
  options: GetTokenOptions | undefined,
  run: (options: GetTokenOptions, span: TracingSpan) => Promise<AccessToken>,
): Promise<AccessToken> {
  const { span, updatedOptions } = tracingClient.startSpan(`${className}.getToken`, options);
  let promise: Promise<AccessToken>;
  try {
    promise = tracingClient.withContext(updatedOptions.tracingOptions.tracingContext, run, updatedOptions, span);
  } catch (error) {
    promise = Promise.reject(error);
  }
  return promise.then(
    (token) => {
      span.setStatus({ status: "success" });
      span.end();
      return token;
    },
    (error: unknown) => {
      const code = (error as { code?: unknown } | undefined)?.code;
      const name = error instanceof Error ? error.name : "Error";
      const type = typeof code === "string" ? code : name;
      span.setAttribute(TOKEN_SPAN_ATTRIBUTES.errorType, type);
      span.setStatus({ status: "error", error: type === name ? name : `${name}: ${type}` });
      span.end();
      throw error;
    },
  );
}

/**
 * Where each token of one credential came from: it counts the requests started and the tokens that arrived, so
 * that a call can tell afterwards whether its token was cached before it began (a hit) or arrived since (its own
 * request, or one it joined), and whether it started a background refresh. Costs nothing on an untraced call.
 * @internal
 */
export class TokenOrigins {
  private readonly arrivals = new WeakMap<AccessToken, number>();
  private started = 0;
  private arrived = 0;

  /** A token request starts (the cache calls the fetch synchronously, from within its `getToken`). */
  requestStarted(): void {
    this.started++;
  }

  /** A token request brought this token. */
  tokenArrived(token: AccessToken): void {
    this.arrivals.set(token, ++this.arrived);
  }

  /** Runs one cache lookup and says on the span what it did. */
  record(
    span: TracingSpan,
    source: ManagedIdentitySourceName,
    identity: UserAssignedIdentity | undefined,
    lookup: () => Promise<AccessToken>,
  ): Promise<AccessToken> {
    span.setAttribute(TOKEN_SPAN_ATTRIBUTES.source, source);
    span.setAttribute(TOKEN_SPAN_ATTRIBUTES.identity, identity?.kind ?? "system-assigned");
    const started = this.started;
    const arrived = this.arrived;
    const promise = lookup();
    const startedHere = this.started !== started;
    return promise.then((token) => {
      // A token this credential fetched before the call (or one it never saw arrive): served from the cache.
      const cacheHit = (this.arrivals.get(token) ?? 0) <= arrived;
      span.setAttribute(TOKEN_SPAN_ATTRIBUTES.cacheHit, cacheHit);
      // A request started by a call that got the cached token at once can only be the background refresh.
      span.setAttribute(TOKEN_SPAN_ATTRIBUTES.backgroundRefresh, cacheHit && startedHere);
      return token;
    });
  }
}
