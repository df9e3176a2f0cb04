import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import {
  DETECT_MANAGED_IDENTITY_OPTION_KEYS,
  type DetectManagedIdentityOptions,
} from "../detection/detectManagedIdentity.js";
import { SourceDecider } from "../detection/sourceDecision.js";
import { CredentialUnavailableError } from "../errors.js";
import { explicitOptions, optionKeys, withoutKeys } from "../explicitOptions.js";
import { checkRetryOptions, checkWholeNumber, MILLISECONDS_RANGE } from "../optionChecks.js";
import { MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS, type ManagedIdentityCredentialOptions } from "../options.js";
import type { ArcChallengePolicyOptions } from "../sources/arc/arcChallengePolicy.js";
import { timerBound } from "../shared/timerBound.js";
import { waitWithDeadline } from "../shared/waitWithDeadline.js";
import { resourceOfScopes } from "../token/resource.js";
import { userAssignedIdentity } from "../userAssignedIdentity.js";
import { isTracing, traceGetToken } from "../engine/tracing.js";
import type { TracingSpan } from "@azure/core-tracing";

/**
 * Options of {@link ManagedIdentityChainCredential}: those of the credentials it may pick (no
 * `endpoint`: the environment names it) and those of the detection.
 */
export interface ManagedIdentityChainCredentialOptions
  extends
    Omit<ManagedIdentityCredentialOptions, "endpoint">,
    ArcChallengePolicyOptions,
    Omit<DetectManagedIdentityOptions, "probe" | "httpClient"> {}

/** The keys of {@link ManagedIdentityChainCredentialOptions}, checked against it at compile time. @internal */
export const MANAGED_IDENTITY_CHAIN_CREDENTIAL_OPTION_KEYS = optionKeys<ManagedIdentityChainCredentialOptions>()([
  ...withoutKeys(MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS, "endpoint"),
  "tokenFolder",
  // `env` is in both.
  ...withoutKeys(DETECT_MANAGED_IDENTITY_OPTION_KEYS, "probe", "httpClient", "env"),
]);

/** The caller's options for the token request, its timeout less the time the detection took. */
function afterDetection(options: GetTokenOptions | undefined, startedAt: number): GetTokenOptions | undefined {
  const timeout = timerBound(options?.requestOptions?.timeout);
  if (timeout === undefined) return options;
  const left = Math.max(1, Math.floor(timeout - (performance.now() - startedAt)));
  return { ...options, requestOptions: { ...options!.requestOptions, timeout: left } };
}

/**
 * Finds this machine's managed identity and gets tokens from it, like `@azure/identity`'s
 * `ManagedIdentityCredential` but explicit and fast. On the first `getToken` it checks the
 * environment in the order Service Fabric, App Service, Azure ML, Cloud Shell, Azure Arc, workload
 * identity, and otherwise probes IMDS once with a short timeout; then it sticks to that source
 * (see {@link detectManagedIdentity}). Concurrent first calls share one detection.
 *
 * When nothing is found it throws `CredentialUnavailableError` at once, so that a chain behind it
 * moves on; IMDS is probed again only after a back-off (5 s, doubling up to 5 min). A source that is
 * found but fails throws `AuthenticationError`, which stops a chain.
 *
 * A user-assigned identity (`clientId`, `objectId`, `resourceId`) goes to the source found; a source
 * that cannot take it (Cloud Shell takes none; Service Fabric an object id only; Azure ML and workload
 * identity a client id only) makes `getToken` throw `CredentialUnavailableError` saying so, and nothing is sent.
 *
 * @example
 * ```ts
 * import { ChainedTokenCredential, AzureCliCredential } from "@azure/identity";
 * import { ManagedIdentityChainCredential } from "azure-managed-identity";
 *
 * const credential = new ChainedTokenCredential(new ManagedIdentityChainCredential(), new AzureCliCredential());
 * ```
 */
export class ManagedIdentityChainCredential implements TokenCredential {
  readonly #decider: SourceDecider;

  /**
   * @param options - a user-assigned identity for the source found, the options of the credentials, and
   * of the detection (`probeTimeoutMs`, `env`, `arcAgentPath`).
   * @throws `TypeError` when more than one of `clientId`, `objectId`, `resourceId` is given, when a
   * number in `retryOptions` or `probeTimeoutMs` is not a whole number in its range, or when
   * `AZURE_TOKEN_CREDENTIALS` (in `env`) has a value `@azure/identity` does not accept either.
   */
  constructor(options?: ManagedIdentityChainCredentialOptions) {
    options = explicitOptions("ManagedIdentityChainCredential", options, MANAGED_IDENTITY_CHAIN_CREDENTIAL_OPTION_KEYS);
    userAssignedIdentity(options);
    // Checked now, not when the detection first builds a credential: a bad option is the caller's mistake.
    checkRetryOptions(options.retryOptions);
    checkWholeNumber(options.probeTimeoutMs, "probeTimeoutMs", MILLISECONDS_RANGE);
    this.#decider = new SourceDecider("ManagedIdentityChainCredential", { ...options }, options.env ?? process.env);
  }

  /**
   * Gets a token for one scope from the source found on the first call.
   * @throws `CredentialUnavailableError` when this machine offers no managed identity (or not the one asked for);
   * `AuthenticationError` when the source found fails; `TypeError` for a scope that is not one non-empty scope
   * (nothing is sent, not even the detection's probe).
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    if (isTracing()) {
      return traceGetToken("ManagedIdentityChainCredential", options, (traced, span) =>
        this.#getToken(scopes, traced, span),
      );
    }
    return this.#getToken(scopes, options, undefined);
  }

  #getToken(
    scopes: string | string[],
    options: GetTokenOptions | undefined,
    span: TracingSpan | undefined,
  ): Promise<AccessToken> {
    // Once decided, hand the client's promise back as is: an async wrapper would allocate a second
    // promise and cost extra microtask turns on every cache hit.
    const decision = this.#decider.decided;
    if (decision !== undefined && "client" in decision) return decision.client.getTokenInSpan(scopes, options, span);
    return this.#getTokenUndecided(scopes, options, span);
  }

  async #getTokenUndecided(
    scopes: string | string[],
    options: GetTokenOptions | undefined,
    span: TracingSpan | undefined,
  ): Promise<AccessToken> {
    // A bad scope is the caller's mistake: a TypeError before the detection sends anything (a probe included).
    resourceOfScopes(scopes);
    const startedAt = performance.now();
    // The caller's abort and timeout stop this caller only: the detection goes on, and a later call uses it.
    const decision =
      this.#decider.decided ??
      (await waitWithDeadline(this.#decider.decide(), {
        abortSignal: options?.abortSignal,
        timeoutInMs: options?.requestOptions?.timeout,
        timeoutError: (timeout) =>
          new CredentialUnavailableError(
            `ManagedIdentityChainCredential: the detection of this machine's managed identity did not finish within the caller's timeout of ${timeout} ms; it goes on, and a later call uses its result.`,
            "detection-timeout",
          ),
      }));
    if ("error" in decision) throw decision.error;
    // The caller's deadline covers the detection and the token request together.
    return decision.client.getTokenInSpan(scopes, afterDetection(options, startedAt), span);
  }
}
