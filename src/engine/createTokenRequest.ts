import type { TracingContext } from "@azure/core-auth";
import { createHttpHeaders, createPipelineRequest, type PipelineRequest } from "@azure/core-rest-pipeline";
import { AuthenticationError } from "../errors.js";
import type { SourceRequest } from "../sources/source.js";

// Control characters other than tab: core-rest-pipeline would silently strip CR and LF and send the rest.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

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
  for (const [name, value] of Object.entries(description.headers ?? {})) {
    if (CONTROL.test(value)) {
      throw new AuthenticationError(
        `The ${name} header of the token request holds a line break or another control character; check the environment variable it comes from. Nothing was sent.`,
        undefined,
        undefined,
        "misconfigured",
      );
    }
  }
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
