import { createHttpHeaders, type HttpClient, type PipelineRequest } from "@azure/core-rest-pipeline";

/**
 * An `HttpClient` that sends nothing: it records each request and answers with a token. It lets a
 * test see where a credential would go by default (such as 169.254.169.254) without a packet leaving.
 */
export function recordingHttpClient(): HttpClient & { requests: PipelineRequest[] } {
  const requests: PipelineRequest[] = [];
  return {
    requests,
    async sendRequest(request) {
      requests.push(request);
      const body = JSON.stringify({ access_token: "recorded", expires_in: 3600, token_type: "Bearer" });
      return { request, status: 200, headers: createHttpHeaders({ "content-type": "application/json" }), bodyAsText: body };
    },
  };
}
