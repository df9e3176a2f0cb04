import { createHash } from "node:crypto";
import { CredentialUnavailableError } from "../errors.js";
import { readEnv } from "../environment.js";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import { normalizeThumbprint, thumbprintPinningPolicy } from "../pipeline/thumbprintPinningPolicy.js";
import { configurationError, parseEndpoint } from "./endpoint.js";
import { maskUserInfo } from "../shared/maskUserInfo.js";
import type { ManagedIdentitySource } from "./source.js";

/** The api-version MSAL.NET 4.83+ sends; the one that takes `principalId`. @internal */
export const SERVICE_FABRIC_API_VERSION = "2020-05-01";

const VARIABLES = ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT"] as const;

function notHere(env: NodeJS.ProcessEnv): CredentialUnavailableError {
  const missing = VARIABLES.filter((name) => readEnv(name, env) === undefined);
  return new CredentialUnavailableError(
    `Service Fabric: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set, so this is not a Service Fabric application with a managed identity.`,
    "no-endpoint",
  );
}

function thumbprintOf(env: NodeJS.ProcessEnv): string | undefined {
  const value = readEnv("IDENTITY_SERVER_THUMBPRINT", env);
  if (value === undefined) return undefined;
  const thumbprint = normalizeThumbprint(value);
  if (thumbprint === undefined)
    throw configurationError(
      "IDENTITY_SERVER_THUMBPRINT",
      `IDENTITY_SERVER_THUMBPRINT is not a certificate thumbprint: '${value}'.`,
    );
  return thumbprint;
}

/**
 * MSAL's managed identity revocation protocol, which MSAL.NET and msal-node send to Service Fabric only: with a
 * CAE challenge's claims, the client capability `xms_cc=cp1` and, when a token was cached, the lowercase hex
 * SHA-256 of its UTF-8 bytes as `token_sha256_to_refresh`, so that the token service issues a new token instead
 * of handing back its own cached copy of the refused one (msal-node ManagedIdentityApplication.acquireToken and
 * BaseManagedIdentitySource.acquireTokenWithManagedIdentity; ManagedIdentityQueryParameters).
 * @internal
 */
export function revocationHint(revokedToken: string | undefined): Record<string, string> {
  const hint: Record<string, string> = { xms_cc: "cp1" };
  if (revokedToken !== undefined) {
    hint["token_sha256_to_refresh"] = createHash("sha256").update(revokedToken, "utf8").digest("hex");
  }
  return hint;
}

/**
 * Service Fabric: `GET $IDENTITY_ENDPOINT?api-version=2020-05-01&resource=R` with `secret: $IDENTITY_HEADER`,
 * over TLS to the cluster's self-signed certificate, accepted only when its thumbprint is
 * `IDENTITY_SERVER_THUMBPRINT`. A user-assigned identity is named by its object (principal) id only, as
 * `principalId`: the cluster's token service ignores `client_id`, `object_id` and `msi_res_id` and would answer
 * for the default identity (AzureAD/microsoft-authentication-library-for-dotnet issue 6065, fixed by pull
 * request 6069, MSAL.NET 4.85, which also moved to api-version 2020-05-01).
 * @internal
 */
export const serviceFabricSource: ManagedIdentitySource<ManagedIdentityCredentialOptions, "servicefabric"> = {
  name: "servicefabric",
  displayName: "Service Fabric",
  credentialName: "ServiceFabricCredential",
  variables: [
    { name: "IDENTITY_ENDPOINT", kind: "url" },
    { name: "IDENTITY_HEADER", kind: "secret" },
    { name: "IDENTITY_SERVER_THUMBPRINT", kind: "value" },
  ],
  identityParameters: { objectId: "principalId" },
  identityRestriction:
    "the cluster's token service selects a user-assigned identity of the application manifest by its object (principal) id only; give objectId instead",
  retry: "standard",
  detectedBy: VARIABLES,
  configure(options: ManagedIdentityCredentialOptions, env) {
    const thumbprint = thumbprintOf(env);
    const secret = readEnv("IDENTITY_HEADER", env);
    // Without a thumbprint nothing is configured, so no request is ever sent unpinned.
    if (thumbprint === undefined || secret === undefined) throw notHere(env);
    const [value, from] =
      options.endpoint !== undefined
        ? [options.endpoint, "The endpoint option"]
        : [readEnv("IDENTITY_ENDPOINT", env), "IDENTITY_ENDPOINT"];
    if (value === undefined) throw notHere(env);
    const endpoint = parseEndpoint(value, from);
    // The secret goes out only once the certificate is checked, which plain http cannot do.
    if (endpoint.protocol !== "https:")
      throw configurationError(from, `${from} must be an https URL for Service Fabric: '${maskUserInfo(value)}'.`);
    return {
      endpoint,
      request({ resource, identityParameter, claims, revokedToken }) {
        const query: Record<string, string> = { "api-version": SERVICE_FABRIC_API_VERSION, resource };
        if (identityParameter) query[identityParameter[0]] = identityParameter[1];
        if (claims !== undefined) Object.assign(query, revocationHint(revokedToken));
        return { method: "GET", query, headers: { secret }, secrets: { IDENTITY_HEADER: secret } };
      },
      policies: {
        transport: thumbprintPinningPolicy({ thumbprint, handshakeTimeoutMs: options.retryOptions?.tryTimeoutInMs }),
      },
    };
  },
  advice: () =>
    "Check that the application's manifest assigns it a managed identity and that IDENTITY_SERVER_THUMBPRINT is the thumbprint of the cluster's managed identity token service certificate.",
  // Service Fabric sends no Metadata header: its proof is IDENTITY_HEADER, which the cluster replaces.
  denied: {
    cause:
      "IDENTITY_HEADER is not the one the cluster's token service expects: it changes when the application restarts or its identity changes, so a copy of the variables goes stale.",
    fix: "Restart the application (or the process) so that it reads the current IDENTITY_HEADER, and do not copy it elsewhere.",
  },
};
