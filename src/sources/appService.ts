import { CredentialUnavailableError } from "../errors.js";
import { readEnv } from "../environment.js";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import { parseEndpoint } from "./endpoint.js";
import type { ManagedIdentitySource } from "./source.js";

const NOT_HERE =
  "App Service: IDENTITY_ENDPOINT and IDENTITY_HEADER are not both set, so this is not App Service, Functions or Container Apps with a managed identity.";

/**
 * App Service, Azure Functions and Container Apps:
 * `GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=R` with `X-IDENTITY-HEADER: $IDENTITY_HEADER`.
 * @internal
 */
export const appServiceSource: ManagedIdentitySource<ManagedIdentityCredentialOptions, "appservice"> = {
  name: "appservice",
  displayName: "App Service",
  variables: [
    { name: "IDENTITY_ENDPOINT", kind: "url" },
    { name: "IDENTITY_HEADER", kind: "secret" },
  ],
  // object_id, as every MSAL and @azure/identity send it (principal_id is only the service's alias for it).
  identityParameters: { clientId: "client_id", objectId: "object_id", resourceId: "mi_res_id" },
  retry: "standard",
  detectedBy: ["IDENTITY_ENDPOINT", "IDENTITY_HEADER"],
  endpoint(options: ManagedIdentityCredentialOptions, env) {
    if (readEnv("IDENTITY_HEADER", env) === undefined) throw new CredentialUnavailableError(NOT_HERE, "no-endpoint");
    if (options.endpoint !== undefined) return parseEndpoint(options.endpoint, "The endpoint option");
    const endpoint = readEnv("IDENTITY_ENDPOINT", env);
    if (endpoint === undefined) throw new CredentialUnavailableError(NOT_HERE, "no-endpoint");
    return parseEndpoint(endpoint, "IDENTITY_ENDPOINT");
  },
  request({ resource, identityParameter, env }) {
    // Read per request: the platform may rotate the header value.
    const secret = readEnv("IDENTITY_HEADER", env);
    if (secret === undefined) throw new CredentialUnavailableError(NOT_HERE, "no-endpoint");
    const query: Record<string, string> = { "api-version": "2019-08-01", resource };
    if (identityParameter) query[identityParameter[0]] = identityParameter[1];
    return { method: "GET", query, headers: { "X-IDENTITY-HEADER": secret }, secrets: { IDENTITY_HEADER: secret } };
  },
  troubleshooting:
    "Check that a managed identity is enabled on the app (az webapp identity show, or az containerapp identity show) and, for a user-assigned identity, that it is assigned to the app.",
};
