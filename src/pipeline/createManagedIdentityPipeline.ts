import {
  createEmptyPipeline,
  type Pipeline,
  type PipelinePolicy,
  setClientRequestIdPolicy,
  tracingPolicy,
  userAgentPolicy,
} from "@azure/core-rest-pipeline";
import { SDK_VERSION } from "../constants.js";
import { logger } from "../logger.js";
import type { AdditionalPolicyConfig } from "../options.js";
import { redactingLogPolicy } from "./redactingLogPolicy.js";
import { responseBodyPolicy } from "./responseBodyPolicy.js";
import { tryTimeoutPolicy } from "./tryTimeoutPolicy.js";

/** The default bound on one try, connection to last byte. */
export const DEFAULT_TRY_TIMEOUT_MS = 10_000;

/**
 * What goes into a managed identity pipeline.
 */
export interface ManagedIdentityPipelineOptions {
  /** The source's headers, such as {@link metadataHeaderPolicy}; run once per call. Default: none. */
  headerPolicies?: PipelinePolicy[] | undefined;
  /** The retry policy: {@link imdsRetryPolicy} or {@link managedIdentityRetryPolicy}. Required. */
  retryPolicy: PipelinePolicy;
  /** The source's challenge policy, such as {@link arcChallengePolicy}; run on every try. Default: none. */
  challengePolicy?: PipelinePolicy | undefined;
  /** How long one try may take. Default: 10 s. */
  tryTimeoutInMs?: number | undefined;
  /**
   * The source's connection policy, such as {@link thumbprintPinningPolicy}; run on every try, inside its timeout.
   * Default: none.
   */
  transportPolicy?: PipelinePolicy | undefined;
  /** The application's own policies. Default: none. */
  additionalPolicies?: AdditionalPolicyConfig[] | undefined;
  /** A prefix for the `User-Agent` header. Default: none. */
  userAgentPrefix?: string | undefined;
  /** Header names and query parameters whose values may appear in the verbose request log. Default: none beyond the built-in allow-list. */
  loggingOptions?:
    | { additionalAllowedHeaderNames?: string[] | undefined; additionalAllowedQueryParameters?: string[] | undefined }
    | undefined;
}

/**
 * Builds the one pipeline shape every managed identity source uses, outermost first:
 * user agent, client request id, tracing, the source's headers, per-call policies, retry, per-try policies, the
 * source's challenge, the per-try timeout, the source's transport, logging, and a bounded body reader.
 *
 * There is deliberately no proxy policy (these endpoints are on the machine itself and must never
 * go through `HTTP(S)_PROXY`) and no redirect policy (a token request is never redirected, and
 * following one could carry a secret elsewhere).
 */
export function createManagedIdentityPipeline(options: ManagedIdentityPipelineOptions): Pipeline {
  const pipeline = createEmptyPipeline();
  const add = (policy: PipelinePolicy | undefined): void => {
    if (policy) pipeline.addPolicy(policy);
  };
  const additional = (position: AdditionalPolicyConfig["position"]): PipelinePolicy[] =>
    (options.additionalPolicies ?? []).filter((p) => p.position === position).map((p) => p.policy);

  const userAgentPrefix = [options.userAgentPrefix, `azsdk-js-azure-managed-identity/${SDK_VERSION}`]
    .filter(Boolean)
    .join(" ");
  add(userAgentPolicy({ userAgentPrefix }));
  // x-ms-client-request-id, a UUID per token request (the same on its retries), as MSAL sends it to IMDS:
  // the id that ties this request to the endpoint's own logs.
  add(setClientRequestIdPolicy());
  add(tracingPolicy({ userAgentPrefix }));
  options.headerPolicies?.forEach(add);
  additional("perCall").forEach(add);
  add(options.retryPolicy);
  additional("perRetry").forEach(add);
  add(options.challengePolicy);
  add(tryTimeoutPolicy(options.tryTimeoutInMs ?? DEFAULT_TRY_TIMEOUT_MS));
  add(options.transportPolicy);
  // Request and response dumps are for AZURE_LOG_LEVEL=verbose; info keeps one line per token, retry or decision.
  add(
    redactingLogPolicy({
      log: logger.verbose,
      additionalAllowedHeaderNames: options.loggingOptions?.additionalAllowedHeaderNames,
      additionalAllowedQueryParameters: [
        "resource",
        ...(options.loggingOptions?.additionalAllowedQueryParameters ?? []),
      ],
    }),
  );
  add(responseBodyPolicy());
  return pipeline;
}
