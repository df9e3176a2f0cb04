import type { PipelineResponse } from "@azure/core-rest-pipeline";
import { AuthenticationError, CredentialUnavailableError, type ErrorResponse } from "../errors.js";
import { isUnreachableError, networkErrorCode, TRY_TIMEOUT_CODE } from "../pipeline/networkErrors.js";
import { isDockerDesktopUnreachable } from "../sources/imds.js";
import type { ManagedIdentitySource } from "../sources/source.js";

/** What a failure message names: which source, at which endpoint. */
interface FailureContext {
  source: ManagedIdentitySource<never>;
  /** The endpoint without its query. */
  endpoint: string;
}

const MAX_DETAIL = 300;
/**
 * An endpoint's own description is kept whole up to this: Microsoft Entra's (AADSTS code, text, trace and
 * correlation ids) runs to about 500 characters, and clients match its code and text (`@azure/cosmos` and
 * `@azure/app-configuration` look for AADSTS500011 in `error.message`).
 * @internal
 */
export const MAX_DESCRIPTION = 2000;

function oneLine(text: string, max = MAX_DETAIL): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** A JSON string or number field, as a trimmed one-line string; `undefined` when absent or empty. */
function idField(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === "string" && value.trim() !== "") return oneLine(value);
    if (typeof value === "number" && Number.isFinite(value)) return String(value);
  }
  return undefined;
}

/** `error_codes` as Entra sends it (`[500011]`), or as a string of it (`"[500011]"`, MSAL.NET's tests). */
function errorCodes(value: unknown): number[] | undefined {
  const items = Array.isArray(value) ? value : typeof value === "string" ? (value.match(/\d+/g) ?? []) : [];
  const codes = items.map(Number).filter((code) => Number.isInteger(code) && code >= 0);
  return codes.length > 0 ? codes.slice(0, 10) : undefined;
}

/**
 * The ids Microsoft support asks for, for a message: `correlation ID …, trace ID …`.
 * @internal
 */
export function describeSupportIds(response: ErrorResponse): string {
  const parts = [
    response.correlationId && `correlation ID ${response.correlationId}`,
    response.traceId && `trace ID ${response.traceId}`,
    response.timestamp && `timestamp ${response.timestamp}`,
    response.errorCodes && `error codes ${response.errorCodes.join(", ")}`,
  ].filter(Boolean);
  return parts.join(", ");
}

/**
 * The endpoint's own words in an error answer: OAuth's `error`/`error_description`, App Service's
 * `message`, Service Fabric's `error.code`/`error.message`; an HTML page by its title. With them the
 * support ids: `error_codes`, `timestamp`, `trace_id`, `correlation_id` (Entra, the Arc agent) or
 * `correlationId` (App Service, and Service Fabric inside `error`).
 * @internal
 */
export function readErrorAnswer(body: string | undefined): { errorResponse?: ErrorResponse; text?: string } {
  if (!body || body.trim() === "") return {};
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    if (typeof json === "object" && json !== null) {
      const nested =
        typeof json["error"] === "object" && json["error"] !== null
          ? (json["error"] as Record<string, unknown>)
          : undefined;
      const error = typeof json["error"] === "string" ? json["error"] : nested?.["code"];
      const description = json["error_description"] ?? json["message"] ?? json["Message"] ?? nested?.["message"];
      const ids: Omit<ErrorResponse, "error" | "errorDescription"> = {
        errorCodes: errorCodes(json["error_codes"]),
        timestamp: idField(json["timestamp"]),
        traceId: idField(json["trace_id"], json["traceId"]),
        correlationId: idField(
          json["correlation_id"],
          json["correlationId"],
          nested?.["correlationId"],
          nested?.["correlation_id"],
        ),
      };
      const known = Object.fromEntries(Object.entries(ids).filter(([, value]) => value !== undefined));
      if (typeof error === "string" || typeof description === "string" || Object.keys(known).length > 0) {
        const errorResponse: ErrorResponse = {
          error: typeof error === "string" ? oneLine(error) : "",
          errorDescription: typeof description === "string" ? oneLine(description, MAX_DESCRIPTION) : "",
          ...known,
        };
        const supportIds = describeSupportIds(errorResponse);
        const words = [errorResponse.error, errorResponse.errorDescription].filter(Boolean).join(": ");
        return {
          errorResponse,
          text: [words, supportIds && `(${supportIds})`].filter(Boolean).join(" "),
        };
      }
      // A token answer sent with an error status (a proxy passing it on): never echo the token.
      if ("access_token" in json) return { text: "an answer that carries an access_token (not shown)" };
    }
  } catch {
    // Not JSON: an HTML page from a proxy or a plain-text error.
  }
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1];
  if (title !== undefined) return { text: `an HTML page titled '${oneLine(title)}'` };
  if (/^\s*</.test(body)) return { text: "an HTML page" };
  return { text: `'${oneLine(body)}'` };
}

/** Joins the non-empty parts of a message with single spaces. */
function sentences(...parts: (string | undefined)[]): string {
  return parts.filter(Boolean).join(" ");
}

function statusHint(status: number, errorResponse: ErrorResponse | undefined): string {
  // Microsoft Entra's own refusal, passed on: the identity is there, the request is wrong.
  if (status === 400 && /\bAADSTS500011\b/.test(errorResponse?.errorDescription ?? "")) {
    return "The resource (the scope without /.default) is not known in the identity's tenant: check the scope.";
  }
  if (status === 400 && /\bAADSTS\d+/.test(errorResponse?.errorDescription ?? "")) {
    return "Microsoft Entra refused the request: see its AADSTS code.";
  }
  if (status === 400)
    return "The request was refused: is a managed identity (or the user-assigned identity asked for) assigned to this host?";
  if (status === 401 || status === 403) {
    return "Access was denied: check the Metadata header is not stripped and that no proxy answers for the endpoint.";
  }
  if (status === 404) return "The endpoint path was not found: check the endpoint URL.";
  if (status === 408) return "The endpoint timed out on its side after every retry: try again.";
  if (status === 410)
    return "The endpoint is being updated or restarted (410): it is back within about 70 seconds; try again then.";
  if (status === 429)
    return "The endpoint is throttling: fewer token requests (the cache should make them rare) or wait.";
  if (status >= 500) return "The endpoint failed on its side after every retry: try again later.";
  return "";
}

/** The address the sources' hints name for IMDS; a custom endpoint's hint names the host really used. */
const IMDS_ADDRESS = "169.254.169.254";

/**
 * The source's own hint (what to check on this kind of host), when it fits the failure: not after a
 * transient status (408, 410, 429, 5xx: the endpoint is there and answering, and "run this inside Cloud
 * Shell" or "check the identity's assignment" would send the reader the wrong way), and naming the
 * endpoint's host actually used rather than the default one.
 */
function sourceHint(source: ManagedIdentitySource<never>, endpoint: string, status?: number): string | undefined {
  if (status !== undefined && (status === 408 || status === 410 || status === 429 || status >= 500)) return undefined;
  const hint = source.troubleshooting;
  if (hint === undefined || !hint.includes(IMDS_ADDRESS)) return hint;
  let host: string;
  try {
    host = new URL(endpoint).host;
  } catch {
    return hint;
  }
  return host === IMDS_ADDRESS ? hint : hint.split(IMDS_ADDRESS).join(host);
}

/**
 * The error for an error answer: `CredentialUnavailableError` when the source says it means
 * "no identity here", `AuthenticationError` with the status and the endpoint's words otherwise.
 * @internal
 */
export function failureFromAnswer(context: FailureContext, response: PipelineResponse): Error {
  const { source, endpoint } = context;
  const { errorResponse, text } = readErrorAnswer(response.bodyAsText ?? undefined);
  const said = text ? `: ${text}` : "";
  if (source.isUnavailableAnswer?.(response.status, response.bodyAsText ?? undefined)) {
    return new CredentialUnavailableError(
      sentences(
        `${source.displayName}: ${endpoint} answered ${response.status}${said}. No usable managed identity here.`,
        sourceHint(source, endpoint),
      ),
      isDockerDesktopUnreachable(response.status, response.bodyAsText ?? undefined) ? "docker-desktop" : "no-identity",
    );
  }
  return new AuthenticationError(
    sentences(
      `${source.displayName}: ${endpoint} answered ${response.status}${said}.`,
      statusHint(response.status, errorResponse),
      sourceHint(source, endpoint, response.status),
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
        `${source.displayName}: nothing answers at ${endpoint} (${code}), so this machine offers no ${source.displayName} managed identity.`,
        sourceHint(source, endpoint),
      ),
      "unreachable",
    );
  }
  if (code === TRY_TIMEOUT_CODE) {
    return new AuthenticationError(
      sentences(
        `${source.displayName}: ${endpoint} gave no complete answer in time, on any try (${message}): it is slow, hung, or (off Azure) silently dropping the connection.`,
        sourceHint(source, endpoint),
      ),
      undefined,
      undefined,
      "timeout",
    );
  }
  return new AuthenticationError(
    sentences(
      `${source.displayName}: the request to ${endpoint} failed: ${message}${code ? ` (${code})` : ""}.`,
      sourceHint(source, endpoint),
    ),
    (error as { statusCode?: number }).statusCode,
    undefined,
    "network",
  );
}
