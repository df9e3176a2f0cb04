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
