import type { TracingContext } from "@azure/core-auth";
import { createHttpHeaders, createPipelineRequest, type PipelineRequest } from "@azure/core-rest-pipeline";
import type { SourceRequest } from "../sources/source.js";

/**
 * Builds the HTTP request from a source's description: every query value and form field is
 * URL-encoded here, in one place, so that no identity, resource or scope value can inject a
 * parameter or a header.
 * @internal
 */
export function createTokenRequest(
  endpoint: URL,
  description: SourceRequest,
  abortSignal: AbortSignal,
  tracingContext?: { tracingContext?: TracingContext },
): PipelineRequest {
  const url = new URL(endpoint.href);
  for (const [name, value] of Object.entries(description.query ?? {})) url.searchParams.set(name, value);
  const headers = createHttpHeaders(description.headers);
  let body: string | undefined;
  if (description.form !== undefined) {
    body = new URLSearchParams(description.form).toString();
    headers.set("Content-Type", "application/x-www-form-urlencoded");
  }
  headers.set("Accept", "application/json");
  const request = createPipelineRequest({
    url: url.href,
    method: description.method,
    headers,
    body,
    abortSignal,
    // These endpoints are plain http on the machine itself (IMDS, the Arc agent, Cloud Shell).
    allowInsecureConnection: true,
  });
  // Set afterwards: createPipelineRequest drops a tracingOptions option (core-rest-pipeline 1.22).
  request.tracingOptions = tracingContext;
  return request;
}
