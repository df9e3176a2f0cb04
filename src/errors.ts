/**
 * The error a credential throws when its source of managed identity is not on this machine:
 * no endpoint, a refused or unreachable endpoint, IMDS answering 400 (no identity, or the
 * user-assigned identity asked for is not assigned to this host), Docker Desktop's 403 "unreachable".
 *
 * Its `name` is `"CredentialUnavailableError"`, the name `@azure/identity`'s `ChainedTokenCredential`
 * and `DefaultAzureCredential` look for to move on to their next credential.
 *
 * @example
 * ```ts
 * try {
 *   await new ImdsCredential().getToken("https://vault.azure.net/.default");
 * } catch (e) {
 *   if (e instanceof CredentialUnavailableError) console.log("not on an Azure VM");
 * }
 * ```
 */
export class CredentialUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    // Set explicitly: chains compare the name string, and minifiers rename classes.
    this.name = "CredentialUnavailableError";
  }
}

/**
 * The `error` and `error_description` fields of a token endpoint's error answer, and the ids that
 * Microsoft support asks for, when the answer carried them.
 */
export interface ErrorResponse {
  /** The endpoint's error code, such as `invalid_request` or `identity_not_found`. */
  error: string;
  /** The endpoint's own description of the failure. */
  errorDescription: string;
  /** Microsoft Entra's error codes (`error_codes`, the AADSTS numbers), such as `[500011]`. */
  errorCodes?: number[];
  /** When Microsoft Entra answered (`timestamp`), as the endpoint wrote it. */
  timestamp?: string;
  /** Microsoft Entra's `trace_id`. */
  traceId?: string;
  /** The request's correlation id: Entra's and the Arc agent's `correlation_id`, App Service's and Service Fabric's `correlationId`. */
  correlationId?: string;
}

/**
 * The error a credential throws when its source is present but did not give a token: an error
 * status after the retries, or a response that is not a valid token.
 *
 * A chain of credentials stops on it, on purpose: a production service whose managed identity
 * fails should fail loudly, not fall through to a developer credential.
 */
export class AuthenticationError extends Error {
  /** The HTTP status of the endpoint's last answer, when there was one. */
  readonly statusCode: number | undefined;
  /** The endpoint's `error` / `error_description`, when its answer carried them. */
  readonly errorResponse: ErrorResponse | undefined;

  constructor(message: string, statusCode?: number, errorResponse?: ErrorResponse) {
    super(message);
    this.name = "AuthenticationError";
    this.statusCode = statusCode;
    this.errorResponse = errorResponse;
  }
}
