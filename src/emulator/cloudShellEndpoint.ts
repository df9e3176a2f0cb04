import { EMULATOR_ERROR, hasMetadataHeader, injectedDescription, isPath, oauthError } from "./answers.js";
import type { EndpointBehaviour } from "./emulatedServer.js";
import type { ResourceCheck } from "./resourceCheck.js";
import type { TokenIssuer } from "./tokenIssuer.js";

/** Cloud Shell's token path. @internal */
export const CLOUD_SHELL_TOKEN_PATH = "/oauth2/token";

/**
 * Cloud Shell's local MSI endpoint: `POST /oauth2/token` with `Metadata: true` and the form body
 * `resource=R`; it gives a token for the signed-in user.
 * @internal
 */
export function cloudShellEndpoint(issuer: TokenIssuer, resources: ResourceCheck): EndpointBehaviour {
  return {
    name: "cloudshell",
    injectedError: (status) => oauthError(status, injectedDescription(status)),
    emulatorError: (description) => oauthError(500, description, EMULATOR_ERROR),
    handle(request) {
      if (!isPath(request, CLOUD_SHELL_TOKEN_PATH))
        return oauthError(404, `No such endpoint: ${request.url.pathname}`, "not_found");
      if (request.method !== "POST") return oauthError(405, `The method ${request.method} is not allowed; use POST.`);
      if (!hasMetadataHeader(request)) return oauthError(400, "Required metadata header not specified");
      const form = new URLSearchParams(request.body);
      const resource = form.get("resource") ?? request.url.searchParams.get("resource");
      if (!resource) return oauthError(400, "Required resource parameter not specified in the form body");
      const refusal = resources.refusal(resource);
      if (refusal !== undefined) return oauthError(400, refusal, "invalid_resource");
      const issued = issuer.forCloudShellUser(resource);
      return {
        status: 200,
        body: {
          access_token: issued.accessToken,
          refresh_token: "",
          expires_in: String(issued.expiresIn),
          expires_on: String(issued.expiresOn),
          not_before: String(issued.notBefore),
          resource,
          token_type: "Bearer",
        },
      };
    },
  };
}
