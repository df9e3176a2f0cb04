import type { GetTokenOptions } from "@azure/core-auth";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { CredentialUnavailableErrorCode } from "../errors.js";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import type { AbortSignalLike } from "../shared/abort.js";
import type { UserAssignedIdentityKind } from "../userAssignedIdentity.js";

/**
 * The managed identity sources, as `detectManagedIdentity` names them.
 */
// Spelled out for the public API report; src/sources/index.ts fails the typecheck unless it names
// exactly the sources of the registry.
export type ManagedIdentitySourceName =
  "imds" | "arc" | "cloudshell" | "appservice" | "servicefabric" | "azureml" | "workloadidentity";

/**
 * An environment variable a source reads, and how a report may show its value.
 * @internal
 */
export interface SourceVariable {
  name: string;
  /** `secret`: never shown (a header value); `url`: shown with any password or query masked; `value`: shown. */
  kind: "url" | "secret" | "value";
}

/**
 * What a source's own detection hook may look at.
 * @internal
 */
export interface SourceDetectionContext {
  env: NodeJS.ProcessEnv;
  /** The Azure Arc agent's executable, when the caller names another one than the platform's default. */
  arcAgentPath?: string;
}

/**
 * A detection hook's answer: found (and why), or not (and what was checked).
 * @internal
 */
export type SourceDetectionResult = { found: true; why: string } | { found: false; checked: string };

/**
 * What a source's token request carries besides the endpoint; the shared machinery encodes it.
 * @internal
 */
export interface SourceRequest {
  method: "GET" | "POST";
  /** Query parameters added to the endpoint URL. */
  query?: Record<string, string>;
  /** Request headers. */
  headers?: Record<string, string>;
  /** A form body (`application/x-www-form-urlencoded`). */
  form?: Record<string, string>;
  /**
   * The secrets the request carries, by what they are (`IDENTITY_HEADER`): an endpoint that echoes one gets it
   * replaced by its name in every message and `errorResponse` of the failure.
   */
  secrets?: Record<string, string>;
  /** The URL to send to instead of the credential's endpoint (workload identity's other tenant). */
  url?: URL;
}

/**
 * What the shared machinery tells a source's configuration when it builds one request: what the call asks for.
 * Everything the credential's options and environment say is in the configuration already.
 * @internal
 */
export interface SourceRequestContext {
  /** The resource, the scope without `/.default`. */
  resource: string;
  /** The user-assigned identity's query parameter, already named for this source. */
  identityParameter: [name: string, value: string] | undefined;
  /** `GetTokenOptions.claims`: a CAE challenge's claims, for the sources that take them; `undefined` when none. */
  claims?: string;
  /** `GetTokenOptions.enableCae`: the caller handles CAE challenges. */
  enableCae?: boolean;
  /** With claims: the cached token the resource refused, for a source that takes a revocation hint. */
  revokedToken?: string;
  /** `GetTokenOptions.tenantId`, for the one source that may take another tenant (workload identity). */
  tenantId?: string;
  /** The call's abort signal (the caller's abort and deadline): ends a wait the request makes (a file read). */
  abortSignal?: AbortSignalLike;
}

/**
 * The policies a source adds to the shared pipeline.
 * @internal
 */
export interface SourcePolicies {
  headers?: PipelinePolicy[];
  challenge?: PipelinePolicy;
  /** Runs on every try, inside its timeout, next to the wire: how the connection is made (certificate pinning). */
  transport?: PipelinePolicy;
}

/**
 * A source as one credential's options and environment configure it: what {@link ManagedIdentitySource.configure}
 * read, once.
 * @internal
 */
export interface SourceConfiguration {
  /** The token endpoint, without query (workload identity: the configured tenant's). */
  endpoint: URL;
  /** The request for one token. */
  request(context: SourceRequestContext): SourceRequest | Promise<SourceRequest>;
  /** The source's own policies, added to the credential's pipeline. */
  policies?: SourcePolicies;
  /**
   * Which cache a `getToken` uses, when not the one every call shares: tokens that must not be served for each
   * other (another tenant, CAE tokens) go to separate caches. Throws to refuse the call before anything is sent.
   */
  cachePartition?(getTokenOptions: GetTokenOptions | undefined): string;
}

/**
 * One source of managed identity tokens, as a plain description: the one shared credential
 * machinery does the pipeline, parsing, cache, single-flight, errors and logging.
 * @internal
 */
export interface ManagedIdentitySource<
  TOptions extends ManagedIdentityCredentialOptions = ManagedIdentityCredentialOptions,
  TName extends ManagedIdentitySourceName = ManagedIdentitySourceName,
> {
  name: TName;
  /** The source's title, for messages, help and reports: "IMDS", "Azure Arc". */
  displayName: string;
  /** Its public credential's class name (`ImdsCredential`): what its `getToken` span is named after. */
  credentialName: string;
  /**
   * Every environment variable the source reads, those of `detectedBy` first: the doctor's
   * environment report, the demo and the tests read them here.
   */
  variables: readonly SourceVariable[];
  /** The query parameter for each kind of user-assigned identity the source takes; none means none. */
  identityParameters: Partial<Record<UserAssignedIdentityKind, string>>;
  /** Why it takes no user-assigned identity (or not this kind), for the construction error. */
  identityRestriction?: string;
  /** Which retry rules: IMDS's own, or the shorter ones of the other endpoints. */
  retry: "imds" | "standard";
  /**
   * Reads the credential's options and environment, once, at construction: everything its requests need (the
   * endpoint, the secrets of the environment, the source's policies), so that no request reads them again.
   * Throws `TypeError` for a malformed option (the application's mistake, said at construction),
   * `AuthenticationError` `misconfigured` for an environment variable that is not usable (the host's
   * configuration; see `configurationError`) and `CredentialUnavailableError` when the environment names no such
   * source (both said at `getToken`).
   */
  configure(options: TOptions, env: NodeJS.ProcessEnv): SourceConfiguration;
  /**
   * The environment variables that select this source when all are set (and not empty). Sources are
   * checked in the detection order, so a source may rely on the ones before it not having matched.
   * None: the source is not selected by the environment alone.
   */
  detectedBy?: readonly string[];
  /**
   * A check beyond the environment, made when `detectedBy` did not match (Arc: its agent installed).
   * A source with neither `detectedBy` nor `detect` is the fallback (IMDS).
   */
  detect?(context: SourceDetectionContext): Promise<SourceDetectionResult>;
  /**
   * The endpoint is not on this machine (Microsoft Entra, for workload identity): failing to reach it is
   * a failure (`AuthenticationError`), not a sign that the source is absent.
   */
  remoteEndpoint?: boolean;
  /**
   * What an error answer means, when it means "no managed identity here" rather than a failure: the
   * `CredentialUnavailableError` code it becomes (IMDS's 400 "Identity not found" is `no-identity`).
   */
  unavailableAnswer?(status: number, body: string | undefined): CredentialUnavailableErrorCode | undefined;
  /** The host may ignore the identity asked for: check the token's claims and fail closed. */
  verifiesIdentityClaims?: boolean;
  /**
   * What to check on this kind of host, added to a failure's message and the doctor's finding: a function of the
   * endpoint the request used (IMDS names the host it really asked, not always 169.254.169.254).
   */
  advice(endpoint: URL | undefined): string;
  /**
   * Why this source's endpoint denies a request (401, 403) and what to do: the one explanation the failure's
   * message and the doctor's finding share (only the sources that send `Metadata` may blame its stripping).
   */
  denied: { cause: string; fix: string };
}
