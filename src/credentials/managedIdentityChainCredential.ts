import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { detectManagedIdentity, type DetectManagedIdentityOptions } from "../detection/detectManagedIdentity.js";
import { AuthenticationError, CredentialUnavailableError } from "../errors.js";
import { describeTokenCredentialsSetting, readTokenCredentialsSetting } from "../detection/azureTokenCredentials.js";
import { logger } from "../logger.js";
import { checkRetryOptions, checkWholeNumber, MILLISECONDS_RANGE } from "../optionChecks.js";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import type { ArcChallengePolicyOptions } from "../sources/arc/arcChallengePolicy.js";
import { sourceByName } from "../sources/index.js";
import type { ManagedIdentitySource } from "../sources/source.js";
import { backoff } from "../shared/backoff.js";
import { timerBound } from "../shared/timerBound.js";
import { waitWithDeadline } from "../shared/waitWithDeadline.js";
import { resourceOfScopes } from "../token/resource.js";
import { describeIdentity, userAssignedIdentity } from "../userAssignedIdentity.js";
import { ManagedIdentityClient } from "../engine/managedIdentityClient.js";

/** After IMDS failed to answer, the next probe waits this long, doubling up to the maximum. */
const PROBE_BACKOFF = { initialMs: 5_000, maxMs: 5 * 60_000 };

/**
 * Options of {@link ManagedIdentityChainCredential}: those of the credentials it may pick (no
 * `endpoint`: the environment names it) and those of the detection.
 */
export interface ManagedIdentityChainCredentialOptions
  extends
    Omit<ManagedIdentityCredentialOptions, "endpoint">,
    ArcChallengePolicyOptions,
    Omit<DetectManagedIdentityOptions, "probe" | "httpClient"> {}

type Decision = { client: ManagedIdentityClient<never> } | { error: Error };

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
  readonly #options: ManagedIdentityChainCredentialOptions;
  readonly #env: NodeJS.ProcessEnv;
  #decision: Decision | undefined;
  #detecting: Promise<Decision> | undefined;
  /** The last "nothing found", served until `#retryAt` (`performance.now()` milliseconds). */
  #unavailable: CredentialUnavailableError | undefined;
  #retryAt = 0;
  #failures = 0;
  /** AZURE_TOKEN_CREDENTIALS=WorkloadIdentityCredential: a detection without I/O, so no back-off either. */
  readonly #workloadOnly: boolean;

  /**
   * @param options - a user-assigned identity for the source found, the options of the credentials, and
   * of the detection (`probeTimeoutMs`, `env`, `arcAgentPath`).
   * @throws `TypeError` when more than one of `clientId`, `objectId`, `resourceId` is given, when a
   * number in `retryOptions` or `probeTimeoutMs` is not a whole number in its range, or when
   * `AZURE_TOKEN_CREDENTIALS` (in `env`) has a value `@azure/identity` does not accept either.
   */
  constructor(options: ManagedIdentityChainCredentialOptions = {}) {
    userAssignedIdentity(options);
    // Checked now, not when the detection first builds a credential: a bad option is the caller's mistake.
    checkRetryOptions(options.retryOptions);
    checkWholeNumber(options.probeTimeoutMs, "probeTimeoutMs", MILLISECONDS_RANGE);
    this.#options = { ...options };
    this.#env = options.env ?? process.env;
    // An unknown value is a TypeError now, as in @azure/identity's DefaultAzureCredential; one that excludes
    // managed identity is unavailable at every getToken, at once and with no I/O.
    const setting = readTokenCredentialsSetting(this.#env);
    this.#workloadOnly = setting.effect === "workloadIdentity";
    if (setting.effect === "excluded") {
      this.#decision = {
        error: new CredentialUnavailableError(
          `ManagedIdentityChainCredential: ${describeTokenCredentialsSetting(setting)} Nothing was sent.`,
          "excluded",
        ),
      };
    }
  }

  /**
   * Gets a token for one scope from the source found on the first call.
   * @throws `CredentialUnavailableError` when this machine offers no managed identity (or not the one asked for);
   * `AuthenticationError` when the source found fails; `TypeError` for a scope that is not one non-empty scope
   * (nothing is sent, not even the detection's probe).
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    // Once decided, hand the client's promise back as is: an async wrapper would allocate a second
    // promise and cost extra microtask turns on every cache hit.
    const decision = this.#decision;
    if (decision !== undefined && "client" in decision) return decision.client.getToken(scopes, options);
    return this.#getTokenUndecided(scopes, options);
  }

  async #getTokenUndecided(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    // A bad scope is the caller's mistake: a TypeError before the detection sends anything (a probe included).
    resourceOfScopes(scopes);
    const startedAt = performance.now();
    // The caller's abort and timeout stop this caller only: the detection goes on, and a later call uses it.
    const decision =
      this.#decision ??
      (await waitWithDeadline(this.#decide(), {
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
    return decision.client.getToken(scopes, afterDetection(options, startedAt));
  }

  #decide(): Promise<Decision> {
    if (this.#unavailable !== undefined && performance.now() < this.#retryAt) return Promise.reject(this.#unavailable);
    this.#detecting ??= this.#detect().finally(() => {
      this.#detecting = undefined;
    });
    return this.#detecting;
  }

  async #detect(): Promise<Decision> {
    const options = this.#options;
    const detection = await detectManagedIdentity({
      env: this.#env,
      probeTimeoutMs: options.probeTimeoutMs,
      arcAgentPath: options.arcAgentPath,
      httpClient: options.httpClient,
    });
    if (detection.source === "none" && this.#workloadOnly) {
      const error = new CredentialUnavailableError(`ManagedIdentityChainCredential: ${detection.reason}`, "not-found");
      logger.info(error.message);
      throw error;
    }
    if (detection.source === "none") {
      this.#failures++;
      const wait = backoff(this.#failures, PROBE_BACKOFF);
      // On the monotonic clock: a wall-clock step must neither cut the back-off short nor stretch it for hours.
      this.#retryAt = performance.now() + wait;
      // The first line stays short (a log line, a chain's summary); what was checked follows, one source a line.
      const [summary = "", ...checks] = detection.reason.split("\n");
      this.#unavailable = new CredentialUnavailableError(
        [
          `ManagedIdentityChainCredential: ${summary.replace(/[.:]?\s*Checked:$/, "").replace(/\.$/, "")}; not probed again for ${wait / 1000} s.`,
          ...checks,
        ].join("\n"),
        "not-found",
      );
      // One line at info (the decision), what was checked at verbose.
      logger.info(this.#unavailable.message.split("\n")[0]!);
      if (checks.length > 0) logger.verbose(this.#unavailable.message);
      throw this.#unavailable;
    }
    this.#unavailable = undefined;
    this.#decision = this.#use(sourceByName(detection.source), detection.reason);
    return this.#decision;
  }

  /** Builds the client of the source found, or the error it will always give. */
  #use(source: ManagedIdentitySource<never>, reason: string): Decision {
    const identity = userAssignedIdentity(this.#options);
    if (identity !== undefined && source.identityParameters[identity.kind] === undefined) {
      const error = new CredentialUnavailableError(
        `ManagedIdentityChainCredential: this machine offers ${source.displayName} (${reason}), which cannot use ${describeIdentity(identity)}: ${source.identityRestriction ?? "it takes no user-assigned identity"}. Nothing was sent.`,
        "identity-not-supported",
      );
      logger.warning(error.message);
      return { error };
    }
    try {
      const client = new ManagedIdentityClient(source, this.#options as never, this.#env);
      logger.info(`ManagedIdentityChainCredential: using ${reason}`);
      return { client };
    } catch (error) {
      // The environment names the source but its configuration is malformed: that is a failure, not an absence.
      const failure = new AuthenticationError(
        `ManagedIdentityChainCredential: this machine offers ${source.displayName} (${reason}), but it is misconfigured: ${(error as Error).message}`,
        undefined,
        undefined,
        "misconfigured",
      );
      logger.warning(failure.message);
      return { error: failure };
    }
  }
}
