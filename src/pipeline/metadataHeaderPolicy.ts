import type { PipelinePolicy } from "@azure/core-rest-pipeline";

/** The name of {@link metadataHeaderPolicy}. */
export const metadataHeaderPolicyName = "metadataHeaderPolicy";

/**
 * Sets `Metadata: true` on every request. IMDS, the Arc agent and Cloud Shell refuse a request
 * without it: the header cannot be set by a browser or forwarded by a naive proxy, which protects
 * the endpoint from server-side request forgery.
 *
 * @example
 * ```ts
 * const pipeline = createEmptyPipeline();
 * pipeline.addPolicy(metadataHeaderPolicy());
 * ```
 */
export function metadataHeaderPolicy(): PipelinePolicy {
  return {
    name: metadataHeaderPolicyName,
    sendRequest(request, next) {
      request.headers.set("Metadata", "true");
      return next(request);
    },
  };
}

/**
 * Why an endpoint that takes the `Metadata` header (IMDS, Azure Arc, Cloud Shell) denies a request, and what to do.
 * @internal
 */
export const METADATA_HEADER_DENIED = {
  cause:
    "The Metadata header was stripped on the way, or something other than the endpoint (a proxy, a sidecar) answered in its place.",
  fix: "Check the Metadata header is not stripped and that no proxy answers for the endpoint.",
} as const;
