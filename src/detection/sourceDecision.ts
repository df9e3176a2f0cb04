import { ManagedIdentityClient } from "../engine/managedIdentityClient.js";
import { AuthenticationError, CredentialUnavailableError } from "../errors.js";
import { logger } from "../logger.js";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import { backoff } from "../shared/backoff.js";
import type { ArcChallengePolicyOptions } from "../sources/arc/arcChallengePolicy.js";
import { sourceByName } from "../sources/index.js";
import type { ManagedIdentitySource } from "../sources/source.js";
import { describeIdentity, userAssignedIdentity } from "../userAssignedIdentity.js";
import { describeTokenCredentialsSetting, readTokenCredentialsSetting } from "./azureTokenCredentials.js";
import {
  describeCheck,
  detectManagedIdentity,
  type DetectManagedIdentityOptions,
  type ManagedIdentityDetection,
  NOTHING_FOUND,
} from "./detectManagedIdentity.js";

/** After IMDS failed to answer, the next probe waits this long, doubling up to the maximum. */
const PROBE_BACKOFF = { initialMs: 5_000, maxMs: 5 * 60_000 };

/**
 * What the decision needs: the options of the credential it builds and those of the detection.
 * @internal
 */
export type SourceDecisionOptions = Omit<ManagedIdentityCredentialOptions, "endpoint"> &
  ArcChallengePolicyOptions &
  Omit<DetectManagedIdentityOptions, "probe" | "env">;

/**
 * What was decided: the client of the source found, or the error every call gets.
 * @internal
 */
export type SourceDecision = { client: ManagedIdentityClient<never> } | { error: Error };

/**
 * Detects this machine's managed identity once and sticks to the source found. "Nothing found" is not
 * remembered forever: it is served until a back-off ends (5 s, doubling up to 5 min, on the monotonic
 * clock), then the next call detects again. Concurrent calls share one detection.
 * `AZURE_TOKEN_CREDENTIALS` is read at construction: an unknown value is a `TypeError` then.
 * @internal
 */
export class SourceDecider {
  readonly #name: string;
  readonly #options: SourceDecisionOptions;
  readonly #env: NodeJS.ProcessEnv;
  /** AZURE_TOKEN_CREDENTIALS=WorkloadIdentityCredential: a detection without I/O, so no back-off either. */
  readonly #workloadOnly: boolean;
  #decided: SourceDecision | undefined;
  #detecting: Promise<SourceDecision> | undefined;
  /** The last "nothing found", served until `#retryAt` (`performance.now()` milliseconds). */
  #unavailable: CredentialUnavailableError | undefined;
  #retryAt = 0;
  #failures = 0;

  /** @param name - the credential's name, which starts its messages. */
  constructor(name: string, options: SourceDecisionOptions, env: NodeJS.ProcessEnv) {
    this.#name = name;
    this.#options = options;
    this.#env = env;
    // An unknown value is a TypeError now, as in @azure/identity's DefaultAzureCredential; one that excludes
    // managed identity is unavailable at every call, at once and with no I/O.
    const setting = readTokenCredentialsSetting(env);
    this.#workloadOnly = setting.effect === "workloadIdentity";
    if (setting.effect === "excluded") {
      this.#decided = {
        error: new CredentialUnavailableError(
          `${name}: ${describeTokenCredentialsSetting(setting)} Nothing was sent.`,
          "excluded",
        ),
      };
    }
  }

  /** The decision, once there is one for good. */
  get decided(): SourceDecision | undefined {
    return this.#decided;
  }

  /**
   * The decision; detects when there is none yet.
   * @throws `CredentialUnavailableError` when nothing was found (again until the back-off ends).
   */
  decide(): Promise<SourceDecision> {
    if (this.#decided !== undefined) return Promise.resolve(this.#decided);
    if (this.#unavailable !== undefined && performance.now() < this.#retryAt) return Promise.reject(this.#unavailable);
    this.#detecting ??= this.#detect().finally(() => {
      this.#detecting = undefined;
    });
    return this.#detecting;
  }

  async #detect(): Promise<SourceDecision> {
    const detection = await detectManagedIdentity({
      env: this.#env,
      probeTimeoutMs: this.#options.probeTimeoutMs,
      arcAgentPath: this.#options.arcAgentPath,
      httpClient: this.#options.httpClient,
    });
    if (detection.source === "none") throw this.#nothingFound(detection);
    this.#unavailable = undefined;
    this.#decided = this.#use(sourceByName(detection.source), detection.reason);
    return this.#decided;
  }

  #nothingFound(detection: ManagedIdentityDetection): CredentialUnavailableError {
    if (this.#workloadOnly) {
      const error = new CredentialUnavailableError(`${this.#name}: ${detection.reason}`, "not-found");
      logger.info(error.message);
      return error;
    }
    const wait = backoff(++this.#failures, PROBE_BACKOFF);
    // On the monotonic clock: a wall-clock step must neither cut the back-off short nor stretch it for hours.
    this.#retryAt = performance.now() + wait;
    // The first line stays short (a log line, a chain's summary); what was checked follows, one source a line.
    const summary = `${this.#name}: ${NOTHING_FOUND}; not probed again for ${wait / 1000} s.`;
    this.#unavailable = new CredentialUnavailableError(
      [summary, ...detection.checked.map((check) => `  ${describeCheck(check)}`)].join("\n"),
      "not-found",
    );
    // One line at info (the decision), what was checked at verbose.
    logger.info(summary);
    if (detection.checked.length > 0) logger.verbose(this.#unavailable.message);
    return this.#unavailable;
  }

  /** Builds the client of the source found, or the error it will always give. */
  #use(source: ManagedIdentitySource<never>, reason: string): SourceDecision {
    const identity = userAssignedIdentity(this.#options);
    if (identity !== undefined && source.identityParameters[identity.kind] === undefined) {
      const error = new CredentialUnavailableError(
        `${this.#name}: this machine offers ${source.displayName} (${reason}), which cannot use ${describeIdentity(identity)}: ${source.identityRestriction ?? "it takes no user-assigned identity"}. Nothing was sent.`,
        "identity-not-supported",
      );
      logger.warning(error.message);
      return { error };
    }
    try {
      const client = new ManagedIdentityClient(source, this.#options as never, this.#env);
      logger.info(`${this.#name}: using ${reason}`);
      return { client };
    } catch (error) {
      // The environment names the source but its configuration is malformed: that is a failure, not an absence.
      const failure = new AuthenticationError(
        `${this.#name}: this machine offers ${source.displayName} (${reason}), but it is misconfigured: ${(error as Error).message}`,
        undefined,
        undefined,
        "misconfigured",
      );
      logger.warning(failure.message);
      return { error: failure };
    }
  }
}
