import { randomUUID } from "node:crypto";
import { EMULATOR_ERROR, injectedDescription, isPath, sameSecret } from "./answers.js";
import type { EmulatedAnswer, EndpointBehaviour } from "./emulatedServer.js";
import { findIdentity, selectorFromQuery } from "./identities.js";
import type { ResourceCheck } from "./resourceCheck.js";
import { issueToken, TokenRefusal, type TokenSource } from "./tokenIssuer.js";

/** The path of the emulated App Service identity endpoint (on Azure it varies; IDENTITY_ENDPOINT names it). @internal */
export const APP_SERVICE_TOKEN_PATH = "/msi/token";

/** App Service's error shape. @internal */
export function appServiceError(status: number, message: string): EmulatedAnswer {
  return { status, body: { statusCode: status, message, correlationId: randomUUID() } };
}

/**
 * App Service's (and Functions', Container Apps') identity endpoint, api-version 2019-08-01:
 * `GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=R` with `X-IDENTITY-HEADER: $IDENTITY_HEADER`;
 * identity parameters `client_id`, `object_id` (or its alias `principal_id`), `mi_res_id`. `expires_on` is epoch
 * seconds as a string, as 2019-08-01 sends it.
 * @internal
 */
export function appServiceEndpoint(
  issuer: TokenSource,
  identityHeader: string,
  resources: ResourceCheck,
): EndpointBehaviour {
  return {
    name: "appservice",
    injectedError: (status) => appServiceError(status, injectedDescription(status)),
    // App Service's shape has no error code: the emulator's own is added, for a reader to tell.
    emulatorError: (description) => {
      const answer = appServiceError(500, description);
      return { ...answer, body: { ...(answer.body as object), error: EMULATOR_ERROR } };
    },
    async handle(request) {
      if (!isPath(request, APP_SERVICE_TOKEN_PATH))
        return appServiceError(404, `No such endpoint: ${request.url.pathname}`);
      if (request.method !== "GET")
        return appServiceError(405, `The method ${request.method} is not allowed; use GET.`);
      const header = request.headers["x-identity-header"];
      if (typeof header !== "string" || !sameSecret(header, identityHeader)) {
        return appServiceError(401, "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.");
      }
      const apiVersion = request.url.searchParams.get("api-version");
      if (apiVersion !== "2019-08-01")
        return appServiceError(400, `Unsupported api-version '${apiVersion ?? ""}'; use 2019-08-01.`);
      const resource = request.url.searchParams.get("resource");
      if (!resource) return appServiceError(400, "The resource parameter is required.");
      const refusal = resources.refusal(resource);
      if (refusal !== undefined) return appServiceError(400, refusal);
      const selector = selectorFromQuery(request.url.searchParams, {
        clientId: ["client_id"],
        objectId: ["principal_id", "object_id"],
        resourceId: ["mi_res_id"],
      });
      if (selector === "ambiguous")
        return appServiceError(400, "Only one of client_id, principal_id and mi_res_id may be given.");
      if (selector !== undefined && issuer.userAssignedRefusal) return appServiceError(400, issuer.userAssignedRefusal);
      const identity = findIdentity(issuer.identities, selector);
      if (identity === undefined) return appServiceError(400, "Unable to load the proper Managed Identity.");
      const issued = await issueToken(issuer, identity, resource);
      if (issued instanceof TokenRefusal) return appServiceError(issued.status, issued.description);
      return {
        status: 200,
        body: {
          access_token: issued.accessToken,
          expires_on: String(issued.expiresOn),
          resource,
          token_type: "Bearer",
          client_id: identity.clientId,
        },
      };
    },
  };
}
