import {
  API_VERSION_FORM,
  EMULATOR_ERROR,
  hasMetadataHeader,
  injectedDescription,
  isPath,
  oauthError,
} from "./answers.js";
import type { EmulatedAnswer, EmulatedRequest, EndpointBehaviour } from "./emulatedServer.js";
import { findIdentity, selectorFromQuery } from "./identities.js";
import type { ResourceCheck } from "./resourceCheck.js";
import { type IssuedToken, issueToken, TokenRefusal, type TokenSource } from "./tokenIssuer.js";

/** IMDS's token path. @internal */
export const IMDS_TOKEN_PATH = "/metadata/identity/oauth2/token";

/** The identity parameters of IMDS and Arc. @internal */
export const IMDS_IDENTITY_PARAMETERS = {
  clientId: ["client_id"],
  objectId: ["object_id"],
  resourceId: ["msi_res_id"],
};

/** IMDS's (and Arc's) token answer: every number as a string. @internal */
export function imdsTokenBody(issued: IssuedToken, resource: string): Record<string, string> {
  return {
    access_token: issued.accessToken,
    client_id: String(issued.claims.appid ?? ""),
    expires_in: String(issued.expiresIn),
    expires_on: String(issued.expiresOn),
    ext_expires_in: String(issued.expiresIn),
    not_before: String(issued.notBefore),
    resource,
    token_type: "Bearer",
  };
}

/**
 * Checks what IMDS and Arc both check, in the order they do: the path, the method, the
 * `Metadata: true` header, the api-version, the resource. `undefined` when the request is good.
 * @internal
 */
export function checkMetadataTokenRequest(
  request: EmulatedRequest,
  resources: ResourceCheck,
): EmulatedAnswer | undefined {
  if (!isPath(request, IMDS_TOKEN_PATH))
    return oauthError(404, `No such endpoint: ${request.url.pathname}`, "not_found");
  if (request.method !== "GET") return oauthError(405, `The method ${request.method} is not allowed; use GET.`);
  if (!hasMetadataHeader(request)) return oauthError(400, "Required metadata header not specified");
  const apiVersion = request.url.searchParams.get("api-version");
  if (!apiVersion) return oauthError(400, "Required query variable 'api-version' is missing");
  if (!API_VERSION_FORM.test(apiVersion)) return oauthError(400, `Invalid api-version '${apiVersion}'`);
  const resource = request.url.searchParams.get("resource");
  if (!resource) return oauthError(400, "Required audience parameter not specified");
  const refusal = resources.refusal(resource);
  if (refusal !== undefined) return oauthError(400, refusal, "invalid_resource");
  return undefined;
}

/**
 * The Instance Metadata Service's token endpoint: `GET /metadata/identity/oauth2/token` with
 * `Metadata: true`, api-version 2018-02-01 or later, `resource`, and at most one of `client_id`,
 * `object_id`, `msi_res_id`; 400 "Identity not found" for an identity this host does not have, and
 * 400 `invalid_resource` (AADSTS500011) for a resource the tenant does not know.
 * Like IMDS, it refuses a request that came through a proxy (`X-Forwarded-For`).
 * @internal
 */
export function imdsEndpoint(issuer: TokenSource, resources: ResourceCheck): EndpointBehaviour {
  return {
    name: "imds",
    injectedError: (status) => oauthError(status, injectedDescription(status)),
    emulatorError: (description) => oauthError(500, description, EMULATOR_ERROR),
    async handle(request) {
      if (request.headers["x-forwarded-for"] !== undefined) {
        return oauthError(400, "Requests through a proxy (X-Forwarded-For) are not allowed");
      }
      const refused = checkMetadataTokenRequest(request, resources);
      if (refused) return refused;
      const resource = request.url.searchParams.get("resource") ?? "";
      const selector = selectorFromQuery(request.url.searchParams, IMDS_IDENTITY_PARAMETERS);
      if (selector === "ambiguous")
        return oauthError(400, "Only one of client_id, object_id and msi_res_id may be given");
      if (selector !== undefined && issuer.userAssignedRefusal) return oauthError(400, issuer.userAssignedRefusal);
      const identity = findIdentity(issuer.identities, selector);
      if (identity === undefined) return oauthError(400, "Identity not found");
      const issued = await issueToken(issuer, identity, resource);
      if (issued instanceof TokenRefusal) return oauthError(issued.status, issued.description);
      return { status: 200, body: imdsTokenBody(issued, resource) };
    },
  };
}
