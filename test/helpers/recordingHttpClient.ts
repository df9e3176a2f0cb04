import { createHttpHeaders, type HttpClient, type PipelineRequest } from "@azure/core-rest-pipeline";

/**
 * An `HttpClient` that sends nothing: it records each request and answers with a token (named by
 * `tokenFor`). It lets a test see where a credential would go by default (such as 169.254.169.254)
 * without a packet leaving, or make many token requests without the cost of sockets.
 */
export function recordingHttpClient(
  tokenFor: (request: PipelineRequest) => string = () => "recorded",
): HttpClient & { requests: PipelineRequest[] } {
  const requests: PipelineRequest[] = [];
  return {
    requests,
    async sendRequest(request) {
      requests.push(request);
      const body = JSON.stringify({ access_token: tokenFor(request), expires_in: 3600, token_type: "Bearer" });
      return {
        request,
        status: 200,
        headers: createHttpHeaders({ "content-type": "application/json" }),
        bodyAsText: body,
      };
    },
  };
}
