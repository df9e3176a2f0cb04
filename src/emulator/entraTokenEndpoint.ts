import { randomUUID } from "node:crypto";
import { EMULATOR_ERROR, injectedDescription, sameSecret } from "./answers.js";
import type { EmulatedAnswer, EndpointBehaviour } from "./emulatedServer.js";
import type { EmulatedIdentity } from "./identities.js";
import type { ResourceCheck } from "./resourceCheck.js";
import type { TokenIssuer } from "./tokenIssuer.js";

/** The client assertion type of a federated token (RFC 7523). @internal */
export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Microsoft Entra's error shape: `error`, `error_description` starting with the AADSTS code, and ids. @internal */
export function entraError(status: number, error: string, description: string): EmulatedAnswer {
  return {
    status,
    body: {
      error,
      error_description: description,
      timestamp: new Date()
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, "Z"),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  };
}

/** What {@link entraTokenEndpoint} checks against. @internal */
export interface EntraTokenEndpointOptions {
  /** The identity the federated credential is on: its client id is `AZURE_CLIENT_ID`. */
  identity: EmulatedIdentity;
  /** The federated token it accepts as `client_assertion` (the content of the file it wrote). */
  federatedToken: string;
}

/**
 * Microsoft Entra's token endpoint as workload identity uses it: `POST /{tenant}/oauth2/v2.0/token` with the form
 * `grant_type=client_credentials`, `client_id`, `scope=R/.default`, `client_assertion` (the pod's federated token)
 * and `client_assertion_type` (jwt-bearer); answers `token_type`, `expires_in`, `ext_expires_in`, `access_token`.
 * Only the emulated tenant, the identity with the federated credential and the token from the file are accepted.
 * @internal
 */
export function entraTokenEndpoint(
  issuer: TokenIssuer,
  resources: ResourceCheck,
  { identity, federatedToken }: EntraTokenEndpointOptions,
): EndpointBehaviour {
  const tenantId = issuer.identities.tenantId;
  return {
    name: "workloadidentity",
    injectedError: (status) =>
      entraError(status, status >= 500 ? "server_error" : "invalid_request", injectedDescription(status)),
    emulatorError: (description) => entraError(500, EMULATOR_ERROR, description),
    handle(request) {
      const match = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/.exec(request.url.pathname);
      if (match === null) return entraError(404, "not_found", `No such endpoint: ${request.url.pathname}`);
      if (request.method !== "POST")
        return entraError(
          405,
          "invalid_request",
          `AADSTS900561: The endpoint only accepts POST requests. Received a ${request.method} request.`,
        );
      let tenant: string;
      try {
        tenant = decodeURIComponent(match[1]!);
      } catch {
        // A malformed percent-escape (`%E0%A4%A`) is the client's mistake: 400, as Entra answers it, never a 500.
        return entraError(400, "invalid_request", `AADSTS90002: Tenant '${match[1]!}' is not a valid tenant name.`);
      }
      if (tenant.toLowerCase() !== tenantId.toLowerCase()) {
        return entraError(
          400,
          "invalid_request",
          `AADSTS90002: Tenant '${match[1]!}' not found. The emulator knows only tenant '${tenantId}'.`,
        );
      }
      const form = new URLSearchParams(request.body);
      if (form.get("grant_type") !== "client_credentials")
        return entraError(
          400,
          "unsupported_grant_type",
          "AADSTS70003: The app requested an unsupported grant type; use client_credentials.",
        );
      const clientId = form.get("client_id") ?? "";
      if (clientId.toLowerCase() !== identity.clientId.toLowerCase()) {
        return entraError(
          400,
          "unauthorized_client",
          `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenantId}'.`,
        );
      }
      if (form.get("client_assertion_type") !== JWT_BEARER_ASSERTION)
        return entraError(
          400,
          "invalid_request",
          `AADSTS50027: client_assertion_type must be ${JWT_BEARER_ASSERTION}.`,
        );
      if (!sameSecret(form.get("client_assertion") ?? undefined, federatedToken)) {
        return entraError(
          401,
          "invalid_client",
          "AADSTS700213: No matching federated identity record found for the presented assertion (it is not the token of AZURE_FEDERATED_TOKEN_FILE).",
        );
      }
      const scope = form.get("scope") ?? "";
      if (!scope.endsWith("/.default"))
        return entraError(400, "invalid_scope", "AADSTS1002012: The scope must be one resource's '/.default' scope.");
      const resource = scope.slice(0, -"/.default".length);
      const refusal = resources.refusal(resource);
      if (refusal !== undefined) return entraError(400, "invalid_resource", refusal);
      const issued = issuer.forIdentity(identity, resource);
      return {
        status: 200,
        body: {
          token_type: "Bearer",
          expires_in: issued.expiresIn,
          ext_expires_in: issued.expiresIn,
          access_token: issued.accessToken,
        },
      };
    },
  };
}
