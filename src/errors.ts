/**
 * Why a credential says its source is not here: the stable value of
 * {@link CredentialUnavailableError.code}, to branch on instead of the message.
 *
 * - `"no-endpoint"`: the environment names no endpoint for this source (its variables are not set).
 * - `"not-found"`: `ManagedIdentityChainCredential` found no managed identity source on this machine
 *   (no source's variables, no Azure Arc agent, and the IMDS probe got no answer).
 * - `"unreachable"`: nothing answers at the endpoint (connection refused, network or host unreachable), or, for
 *   IMDS, no connection within `connectTimeoutInMs` while IMDS has never answered this credential.
 * - `"no-identity"`: the endpoint says no managed identity, or not the user-assigned one asked for, is
 *   assigned here (IMDS's 400).
 * - `"docker-desktop"`: Docker Desktop answered for IMDS (403 "unreachable"): there is no Azure VM behind it.
 * - `"identity-not-supported"`: the source `ManagedIdentityChainCredential` found cannot take the
 *   user-assigned identity asked for (Cloud Shell takes none); nothing was sent.
 * - `"detection-timeout"`: `ManagedIdentityChainCredential`'s detection did not finish within the caller's
 *   `requestOptions.timeout`; it goes on, and a later call uses its result.
 * - `"excluded"`: `AZURE_TOKEN_CREDENTIALS` excludes managed identity (`dev`, or a credential that is not a
 *   managed identity); nothing was sent.
 * - `"tenant-not-allowed"`: workload identity was asked for another tenant than its own, which
 *   `additionallyAllowedTenants` does not list; nothing was sent.
 * - `"token-proxy-misconfigured"`: workload identity's AKS token proxy variables do not fit together (an SNI or CA
 *   variable without the proxy, both CA variables, a proxy URL that is not plain https, CAs that hold no
 *   certificate); nothing was sent.
 * - `"unavailable"`: an error made outside this package without a code.
 *
 * New codes may be added in a minor version: treat an unknown one like `"unavailable"`.
 */
export type CredentialUnavailableErrorCode =
  | "no-endpoint"
  | "not-found"
  | "unreachable"
  | "no-identity"
  | "docker-desktop"
  | "identity-not-supported"
  | "detection-timeout"
  | "excluded"
  | "tenant-not-allowed"
  | "token-proxy-misconfigured"
  | "unavailable";

/**
 * Why a credential whose source is here got no token: the stable value of
 * {@link AuthenticationError.code}, to branch on instead of the message.
 *
 * - `"http-status"`: the endpoint answered an error status after the retries (see `statusCode` and
 *   `errorResponse`).
 * - `"bad-response"`: the endpoint answered with something that is not a token.
 * - `"timeout"`: no complete answer in time: every try timed out, or the caller's `requestOptions.timeout` passed.
 * - `"network"`: the request failed on the way (a reset connection, a TLS error, a certificate that is
 *   not the pinned one).
 * - `"misconfigured"`: the environment names the source but a value is unusable (an endpoint variable that is not
 *   an http(s) URL, Service Fabric's thumbprint, a header variable holding a line break); nothing was sent.
 * - `"identity-mismatch"`: the token is for another identity than the one asked for (an Azure Arc agent
 *   too old for user-assigned identities); the token was discarded.
 * - `"federated-token-file"`: workload identity's token file cannot be read, or is empty.
 * - `"arc-challenge-invalid"`: the Azure Arc endpoint answered 401 without a `Basic realm=<file>` challenge.
 * - `"arc-challenge-not-loopback"`: the Azure Arc challenge came from an endpoint not on this machine;
 *   the file was not read.
 * - `"arc-file-permission"`: this process may not read the Azure Arc challenge file or token folder
 *   (on Linux, its user is not in the `himds` group).
 * - `"arc-folder-missing"`: the Azure Arc agent's token folder does not exist or cannot be opened.
 * - `"arc-file-missing"`: the challenge file the Azure Arc endpoint named does not exist.
 * - `"arc-file-outside-folder"`: the challenge file is not in the agent's token folder; it was not read.
 * - `"arc-file-invalid"`: the challenge file is not one the agent writes (not an absolute path to a
 *   regular `.key` file of at most 4096 bytes without control characters), or was swapped for a link.
 * - `"failed"`: an error made outside this package without a code or status.
 *
 * New codes may be added in a minor version: treat an unknown one like `"failed"`.
 */
export type AuthenticationErrorCode =
  | "http-status"
  | "bad-response"
  | "timeout"
  | "network"
  | "misconfigured"
  | "identity-mismatch"
  | "federated-token-file"
  | "arc-challenge-invalid"
  | "arc-challenge-not-loopback"
  | "arc-file-permission"
  | "arc-folder-missing"
  | "arc-file-missing"
  | "arc-file-outside-folder"
  | "arc-file-invalid"
  | "failed";

/**
 * The error a credential throws when its source of managed identity is not on this machine:
 * no endpoint, a refused or unreachable endpoint, IMDS answering 400 (no identity, or the
 * user-assigned identity asked for is not assigned to this host), Docker Desktop's 403 "unreachable".
 * Its {@link CredentialUnavailableError.code} says which.
 *
 * Its `name` is `"CredentialUnavailableError"`, the name `@azure/identity`'s `ChainedTokenCredential`
 * and `DefaultAzureCredential` look for to move on to their next credential.
 *
 * @example
 * ```ts
 * try {
 *   await new ImdsCredential().getToken("https://vault.azure.net/.default");
 * } catch (e) {
 *   if (e instanceof CredentialUnavailableError && e.code === "unreachable") console.log("not on an Azure VM");
 * }
 * ```
 */
export class CredentialUnavailableError extends Error {
  /** Why the source is not here, stable across versions: see {@link CredentialUnavailableErrorCode}. */
  readonly code: CredentialUnavailableErrorCode;

  constructor(message: string, code: CredentialUnavailableErrorCode = "unavailable") {
    super(message);
    // Set explicitly: chains compare the name string, and minifiers rename classes.
    this.name = "CredentialUnavailableError";
    this.code = code;
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
 * status after the retries, or a response that is not a valid token. Its
 * {@link AuthenticationError.code} says which.
 *
 * A chain of credentials stops on it, on purpose: a production service whose managed identity
 * fails should fail loudly, not fall through to a developer credential.
 */
export class AuthenticationError extends Error {
  /** The HTTP status of the endpoint's last answer, when there was one. */
  readonly statusCode: number | undefined;
  /** The endpoint's `error` / `error_description`, when its answer carried them. */
  readonly errorResponse: ErrorResponse | undefined;
  /** What failed, stable across versions: see {@link AuthenticationErrorCode}. */
  readonly code: AuthenticationErrorCode;

  /**
   * @param code - default: `"http-status"` with a `statusCode`, else `"failed"`.
   */
  constructor(message: string, statusCode?: number, errorResponse?: ErrorResponse, code?: AuthenticationErrorCode) {
    super(message);
    this.name = "AuthenticationError";
    this.statusCode = statusCode;
    this.errorResponse = errorResponse;
    this.code = code ?? (statusCode !== undefined ? "http-status" : "failed");
  }
}
