import { optionKeys } from "./explicitOptions.js";
import type { HttpClient, PipelinePolicy } from "@azure/core-rest-pipeline";

/**
 * How a credential retries its token endpoint. Every number is a whole number: retries and back-offs 0 or
 * more (up to `Number.MAX_SAFE_INTEGER`), `tryTimeoutInMs` from 0 to 2^31-1 ms (about 24.8 days); anything
 * else (`NaN`, `Infinity`, negative, fractional) is a `TypeError` at construction.
 */
export interface ManagedIdentityRetryOptions {
  /**
   * Retries after the first try. Default: 5 for IMDS, 3 for the other sources. 410 from IMDS is retried for at
   * least 70 s whatever this says; left unset, IMDS's 429 without `Retry-After` (its throttle) is retried for at
   * least 90 s rather than 5 times.
   */
  maxRetries?: number | undefined;
  /** The first back-off, doubled on every retry, with jitter. Default: 800 ms; 0 retries at once. */
  retryDelayInMs?: number | undefined;
  /** The longest single back-off; a `Retry-After` longer than this ends the retries. Default: 60 s; 0 retries at once, and any `Retry-After` above 0 ends the retries. */
  maxRetryDelayInMs?: number | undefined;
  /** How long one try may take, connection to last byte, before it is abandoned and retried. Default: 10 s; 0 means no bound. */
  tryTimeoutInMs?: number | undefined;
}

/**
 * A pipeline policy added to a credential's pipeline, once per call or once per try.
 */
export interface AdditionalPolicyConfig {
  /** The policy to add. */
  policy: PipelinePolicy;
  /** `perCall` runs once per token request, outside the retries; `perRetry` runs on every try. */
  position: "perCall" | "perRetry";
}

/**
 * Options every managed identity credential takes. Each credential may add its own.
 */
export interface ManagedIdentityCredentialOptions {
  /**
   * The client (application) id of a user-assigned identity. At most one of `clientId`, `objectId`, `resourceId`;
   * an empty or blank one is a `TypeError`. Default: none of them, the system-assigned identity.
   */
  clientId?: string | undefined;
  /** The object (principal) id of a user-assigned identity. Default: none, the system-assigned identity. */
  objectId?: string | undefined;
  /**
   * The Azure resource id of a user-assigned identity (`/subscriptions/…/userAssignedIdentities/name`). Default: none,
   * the system-assigned identity.
   */
  resourceId?: string | undefined;
  /**
   * The full token endpoint URL, overriding the source's default and its environment variable
   * (tests, emulators, custom hosts). For IMDS a bare origin such as `http://127.0.0.1:8080` is accepted
   * and the token path appended. Default: the source's environment variable, else its well-known address.
   */
  endpoint?: string | undefined;
  /**
   * The environment variables the credential reads, in place of `process.env` (an emulator hands each source's
   * over). Read once, at construction. Default: `process.env`.
   */
  env?: NodeJS.ProcessEnv | undefined;
  /** How the token endpoint is retried. Default: each field's default (see {@link ManagedIdentityRetryOptions}). */
  retryOptions?: ManagedIdentityRetryOptions | undefined;
  /** The HTTP client that sends the requests; the default is Node's `http`/`https`, never through a proxy. */
  httpClient?: HttpClient | undefined;
  /** A prefix for the `User-Agent` header, before `azsdk-js-azure-managed-identity/<version>`. Default: none. */
  userAgentOptions?: { userAgentPrefix?: string | undefined } | undefined;
  /** Policies to add to the credential's pipeline, at the `position` each names. Default: none. */
  additionalPolicies?: AdditionalPolicyConfig[] | undefined;
  /**
   * Header names and query parameters whose values may appear in the verbose request log (secret headers never
   * do). Default: a built-in allow-list of harmless headers, and the `resource` query parameter.
   */
  loggingOptions?:
    | {
        additionalAllowedHeaderNames?: string[] | undefined;
        additionalAllowedQueryParameters?: string[] | undefined;
      }
    | undefined;
}

/**
 * The keys of {@link ManagedIdentityCredentialOptions}, checked against it at compile time; each credential's list starts here.
 * @internal
 */
export const MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS = optionKeys<ManagedIdentityCredentialOptions>()([
  "clientId",
  "objectId",
  "resourceId",
  "endpoint",
  "env",
  "retryOptions",
  "httpClient",
  "userAgentOptions",
  "additionalPolicies",
  "loggingOptions",
]);
