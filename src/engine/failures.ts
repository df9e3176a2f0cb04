import type { PipelineResponse } from "@azure/core-rest-pipeline";
import { AuthenticationError, CredentialUnavailableError, type ErrorResponse } from "../errors.js";
import { isUnreachableError, networkErrorCode, TRY_TIMEOUT_CODE } from "../pipeline/networkErrors.js";
import type { ManagedIdentitySource } from "../sources/source.js";
import { endSentence, entraErrorCode, readErrorAnswer } from "./errorAnswer.js";

/** What a failure message names: which source, at which endpoint. */
interface FailureContext {
  source: ManagedIdentitySource<never>;
  /** The endpoint the request used; `undefined` when there is none. */
  endpoint: URL | undefined;
  /** The secrets the request carried, scrubbed from the endpoint's words as they are read. */
  secrets?: Record<string, string>;
}

/** Microsoft Entra's code for a resource it does not know in the identity's tenant. */
const AADSTS_UNKNOWN_RESOURCE = 500011;

/** The endpoint as messages name it: without its query. */
function shown(endpoint: URL | undefined): string {
  return endpoint === undefined ? "(no endpoint)" : `${endpoint.origin}${endpoint.pathname}`;
}

/** Joins the non-empty parts of a message with single spaces. */
function sentences(...parts: (string | undefined)[]): string {
  return parts.filter(Boolean).join(" ");
}

/** A status the endpoint gives while it is there and answering (busy, updating, failing on its side). */
function isTransient(status: number): boolean {
  return status === 408 || status === 410 || status === 429 || status >= 500;
}

/** What an error status means and what to do, for this source. */
function statusHint(source: ManagedIdentitySource<never>, status: number, response: ErrorResponse | undefined): string {
  const entra = status === 400 ? entraErrorCode(response) : undefined;
  // Microsoft Entra's own refusal, passed on: the identity is there, the request is wrong.
  if (entra === AADSTS_UNKNOWN_RESOURCE) {
    return "The resource (the scope without /.default) is not known in the identity's tenant: check the scope.";
  }
  if (entra !== undefined) return "Microsoft Entra refused the request: see its AADSTS code.";
  if (status === 400)
    return "The request was refused: is a managed identity (or the user-assigned identity asked for) assigned to this host?";
  // Each source knows what its endpoint checks: only those that send Metadata may blame its stripping.
  if (status === 401 || status === 403) return `Access was denied. ${source.denied.cause} ${source.denied.fix}`;
  if (status === 404) return "The endpoint path was not found: check the endpoint URL.";
  if (status === 408) return "The endpoint timed out on its side after every retry: try again.";
  if (status === 410)
    return "The endpoint is being updated or restarted (410): it is back within about 70 seconds; try again then.";
  if (status === 429)
    return "The endpoint is throttling: fewer token requests (the cache should make them rare) or wait.";
  if (status >= 500) return "The endpoint failed on its side after every retry: try again later.";
  return "";
}

/**
 * The source's advice for its host, when it fits the failure: not after a transient status (the endpoint is there
 * and answering, and "run this inside Cloud Shell" or "check the identity's assignment" would send the reader the
 * wrong way), nor after a denial (the source's `denied` says what to check).
 */
function sourceAdvice(source: ManagedIdentitySource<never>, endpoint: URL | undefined, status?: number): string {
  if (status !== undefined && (isTransient(status) || status === 401 || status === 403)) return "";
  return source.advice(endpoint);
}

/**
 * The error for an error answer: `CredentialUnavailableError` with the source's code when the source says it
 * means "no identity here", `AuthenticationError` with the status and the endpoint's words otherwise.
 * @internal
 */
export function failureFromAnswer(context: FailureContext, response: PipelineResponse): Error {
  const { source, endpoint, secrets } = context;
  const body = response.bodyAsText ?? undefined;
  const { errorResponse, text } = readErrorAnswer(body, secrets);
  const answered = `${source.displayName}: ${shown(endpoint)} answered ${response.status}`;
  const said = text ? endSentence(`${answered}: ${text}`) : `${answered}.`;
  const unavailable = source.unavailableAnswer?.(response.status, body);
  if (unavailable !== undefined) {
    return new CredentialUnavailableError(
      sentences(said, "No usable managed identity here.", sourceAdvice(source, endpoint)),
      unavailable,
    );
  }
  return new AuthenticationError(
    sentences(
      said,
      statusHint(source, response.status, errorResponse),
      sourceAdvice(source, endpoint, response.status),
    ),
    response.status,
    errorResponse,
    "http-status",
  );
}

/**
 * The error for a request that got no answer: `CredentialUnavailableError` when nothing listens
 * (refused, unreachable), the caller's `AbortError` as it is, `AuthenticationError` otherwise.
 * @internal
 */
export function failureFromError(context: FailureContext, error: unknown): Error {
  const { source, endpoint } = context;
  if (error instanceof AuthenticationError || error instanceof CredentialUnavailableError) return error;
  const name = (error as Error | undefined)?.name;
  if (name === "AbortError") return error as Error;
  const code = networkErrorCode(error);
  const message = (error as Error | undefined)?.message ?? String(error);
  // Unreachable means "not on this machine" only for an endpoint on the machine; a remote one (Entra) is a failure.
  if (isUnreachableError(error) && !source.remoteEndpoint) {
    return new CredentialUnavailableError(
      sentences(
        `${source.displayName}: nothing answers at ${shown(endpoint)} (${code}), so this machine offers no ${source.displayName} managed identity.`,
        sourceAdvice(source, endpoint),
      ),
      "unreachable",
    );
  }
  if (code === TRY_TIMEOUT_CODE) {
    return new AuthenticationError(
      sentences(
        `${source.displayName}: ${shown(endpoint)} gave no complete answer in time, on any try (${message}): it is slow, hung, or (off Azure) silently dropping the connection.`,
        sourceAdvice(source, endpoint),
      ),
      undefined,
      undefined,
      "timeout",
    );
  }
  return new AuthenticationError(
    sentences(
      endSentence(
        `${source.displayName}: the request to ${shown(endpoint)} failed: ${message}${code ? ` (${code})` : ""}`,
      ),
      sourceAdvice(source, endpoint),
    ),
    (error as { statusCode?: number }).statusCode,
    undefined,
    "network",
  );
}
