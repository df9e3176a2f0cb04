import { EMULATOR_ERROR, injectedDescription, isPath, oauthError, sameSecret } from "./answers.js";
import type { EndpointBehaviour } from "./emulatedServer.js";
import { findIdentity } from "./identities.js";
import type { ResourceCheck } from "./resourceCheck.js";
import type { TokenIssuer } from "./tokenIssuer.js";

/** The path of the emulated Azure ML identity endpoint (on the compute MSI_ENDPOINT names it). @internal */
export const AZURE_ML_TOKEN_PATH = "/MSI/auth";

/**
 * Azure Machine Learning compute's identity endpoint, api-version 2017-09-01:
 * `GET $MSI_ENDPOINT?api-version=2017-09-01&resource=R[&clientid=C]` with `secret: $MSI_SECRET`. A user-assigned
 * identity is named by client id only (`clientid`); without it, the compute's own (system-assigned) identity.
 * @internal
 */
export function azureMlEndpoint(issuer: TokenIssuer, secret: string, resources: ResourceCheck): EndpointBehaviour {
  return {
    name: "azureml",
    injectedError: (status) => oauthError(status, injectedDescription(status)),
    emulatorError: (description) => oauthError(500, description, EMULATOR_ERROR),
    handle(request) {
      if (!isPath(request, AZURE_ML_TOKEN_PATH))
        return oauthError(404, `No such endpoint: ${request.url.pathname}`, "not_found");
      if (request.method !== "GET") return oauthError(405, `The method ${request.method} is not allowed; use GET.`);
      if (!sameSecret(request.headers["secret"], secret))
        return oauthError(401, "The secret header is missing or does not match MSI_SECRET.");
      const apiVersion = request.url.searchParams.get("api-version");
      if (apiVersion !== "2017-09-01")
        return oauthError(400, `Unsupported api-version '${apiVersion ?? ""}'; use 2017-09-01.`);
      const resource = request.url.searchParams.get("resource");
      if (!resource) return oauthError(400, "The resource parameter is required.");
      const refusal = resources.refusal(resource);
      if (refusal !== undefined) return oauthError(400, refusal, "invalid_resource");
      const clientId = request.url.searchParams.get("clientid");
      const identity = findIdentity(issuer.identities, clientId ? { kind: "clientId", value: clientId } : undefined);
      if (identity === undefined) return oauthError(400, "No managed identity of this compute has this clientid.");
      const issued = issuer.forIdentity(identity, resource);
      return {
        status: 200,
        body: {
          access_token: issued.accessToken,
          expires_on: String(issued.expiresOn),
          resource,
          token_type: "Bearer",
          clientid: identity.clientId,
        },
      };
    },
  };
}
