import { isRestError } from "@azure/core-rest-pipeline";

/** The code a try gets when it takes longer than its `tryTimeoutInMs`. */
export const TRY_TIMEOUT_CODE = "TRY_TIMEOUT";

/** The code of a connection not made within a connect bound (see `connectBoundAgent`). */
export const CONNECT_TIMEOUT_CODE = "CONNECT_TIMEOUT";

/**
 * The code of a failed connect to an endpoint that has answered before (see `connectBoundPolicy`): it was
 * there, so this is transient and retried.
 */
export const CONNECT_FAILED_CODE = "CONNECT_FAILED";

/**
 * Codes that say nothing listens at the endpoint: no managed identity here, and no point retrying.
 */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "ENOTFOUND", "EADDRNOTAVAIL"]);

/** Codes of a connection that was there and broke: worth another try. */
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  TRY_TIMEOUT_CODE,
  CONNECT_FAILED_CODE,
]);

/**
 * The error's system or RestError code, if it has one.
 * @internal
 */
export function networkErrorCode(error: unknown): string | undefined {
  if (isRestError(error)) return error.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * A refused or unreachable endpoint.
 * @internal
 */
export function isUnreachableError(error: unknown): boolean {
  const code = networkErrorCode(error);
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/**
 * A reset connection, a truncated answer or a try that timed out.
 * @internal
 */
export function isTransientNetworkError(error: unknown): boolean {
  const code = networkErrorCode(error);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  // Node reports a connection closed mid-answer as "socket hang up" or "aborted" without a code.
  const message = (error as Error | undefined)?.message ?? "";
  return /socket hang up|^aborted$|premature close/i.test(message);
}
