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
  credentialName: "AppServiceCredential",
  variables: [
    { name: "IDENTITY_ENDPOINT", kind: "url" },
    { name: "IDENTITY_HEADER", kind: "secret" },
  ],
  // object_id, as every MSAL and @azure/identity send it (principal_id is only the service's alias for it).
  identityParameters: { clientId: "client_id", objectId: "object_id", resourceId: "mi_res_id" },
  retry: "standard",
  detectedBy: ["IDENTITY_ENDPOINT", "IDENTITY_HEADER"],
  configure(options: ManagedIdentityCredentialOptions, env) {
    // The platform sets a new IDENTITY_HEADER when it restarts the app: a new process, a new environment.
    const secret = readEnv("IDENTITY_HEADER", env);
    if (secret === undefined) throw new CredentialUnavailableError(NOT_HERE, "no-endpoint");
    const [value, from] =
      options.endpoint !== undefined
        ? [options.endpoint, "The endpoint option"]
        : [readEnv("IDENTITY_ENDPOINT", env), "IDENTITY_ENDPOINT"];
    if (value === undefined) throw new CredentialUnavailableError(NOT_HERE, "no-endpoint");
    return {
      endpoint: parseEndpoint(value, from),
      request({ resource, identityParameter }) {
        const query: Record<string, string> = { "api-version": "2019-08-01", resource };
        if (identityParameter) query[identityParameter[0]] = identityParameter[1];
        return {
          method: "GET",
          query,
          headers: { "X-IDENTITY-HEADER": secret },
          secrets: { IDENTITY_HEADER: secret },
        };
      },
    };
  },
  advice: () =>
    "Check that a managed identity is enabled on the app (az webapp identity show, or az containerapp identity show) and, for a user-assigned identity, that it is assigned to the app.",
  // App Service sends no Metadata header: its proof is IDENTITY_HEADER, which the platform replaces.
  denied: {
    cause:
      "IDENTITY_HEADER is not the one the endpoint expects: it changes when the app restarts or its identity changes, so a copy of the variables goes stale.",
    fix: "Restart the app (or the process) so that it reads the current IDENTITY_HEADER, and do not copy it elsewhere.",
  },
};
