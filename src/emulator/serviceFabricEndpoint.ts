import { randomUUID } from "node:crypto";
import { EMULATOR_ERROR, injectedDescription, isPath, sameSecret } from "./answers.js";
import type { EmulatedAnswer, EndpointBehaviour } from "./emulatedServer.js";
import { findIdentity } from "./identities.js";
import type { ResourceCheck } from "./resourceCheck.js";
import type { TokenIssuer } from "./tokenIssuer.js";

/** The path of the emulated Service Fabric token service (on a cluster IDENTITY_ENDPOINT names it). @internal */
export const SERVICE_FABRIC_TOKEN_PATH = "/metadata/identity/oauth2/token";

/** The api-version MSAL.NET 4.83+ sends, the one that takes `principalId`. @internal */
export const SERVICE_FABRIC_API_VERSION = "2020-05-01";

/** The cluster token service's error shape: `{ error: { correlationId, code, message } }`. @internal */
export function serviceFabricError(status: number, code: string, message: string): EmulatedAnswer {
  return { status, body: { error: { correlationId: randomUUID(), code, message } } };
}

/**
 * A Service Fabric cluster's managed identity token service: `GET $IDENTITY_ENDPOINT?api-version=2020-05-01&resource=R`
 * with `secret: $IDENTITY_HEADER`, over HTTPS with the cluster's own self-signed certificate (the client pins its
 * thumbprint, `IDENTITY_SERVER_THUMBPRINT`). A user-assigned identity is named by `principalId` only (MSAL.NET
 * 4.85, AzureAD/microsoft-authentication-library-for-dotnet pull request 6069). The revocation hint
 * (`xms_cc`, `token_sha256_to_refresh`) is accepted; it is in the query, so the request log shows it.
 * @internal
 */
export function serviceFabricEndpoint(
  issuer: TokenIssuer,
  secret: string,
  resources: ResourceCheck,
): EndpointBehaviour {
  return {
    name: "servicefabric",
    injectedError: (status) => serviceFabricError(status, "InjectedFault", injectedDescription(status)),
    emulatorError: (description) => serviceFabricError(500, EMULATOR_ERROR, description),
    handle(request) {
      if (!isPath(request, SERVICE_FABRIC_TOKEN_PATH))
        return serviceFabricError(404, "NotFound", `No such endpoint: ${request.url.pathname}`);
      if (request.method !== "GET")
        return serviceFabricError(405, "MethodNotAllowed", `The method ${request.method} is not allowed; use GET.`);
      if (!sameSecret(request.headers["secret"], secret))
        return serviceFabricError(
          401,
          "SecretHeaderNotFound",
          "The secret header is missing or does not match IDENTITY_HEADER.",
        );
      const apiVersion = request.url.searchParams.get("api-version");
      if (apiVersion !== SERVICE_FABRIC_API_VERSION) {
        return serviceFabricError(
          400,
          "InvalidApiVersion",
          `Unsupported api-version '${apiVersion ?? ""}'; use ${SERVICE_FABRIC_API_VERSION}.`,
        );
      }
      const resource = request.url.searchParams.get("resource");
      if (!resource) return serviceFabricError(400, "ArgumentNullOrEmpty", "The resource parameter is required.");
      const refusal = resources.refusal(resource);
      if (refusal !== undefined) return serviceFabricError(400, "invalid_resource", refusal);
      const principalId = request.url.searchParams.get("principalId");
      const identity = findIdentity(
        issuer.identities,
        principalId ? { kind: "objectId", value: principalId } : undefined,
      );
      if (identity === undefined) {
        return serviceFabricError(
          400,
          "ManagedIdentityNotFound",
          "No managed identity of the application manifest has this principalId.",
        );
      }
      const issued = issuer.forIdentity(identity, resource);
      return {
        status: 200,
        body: {
          token_type: "Bearer",
          access_token: issued.accessToken,
          expires_on: issued.expiresOn,
          resource,
        },
      };
    },
  };
}
