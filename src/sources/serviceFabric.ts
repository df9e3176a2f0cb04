import { CredentialUnavailableError } from "../errors.js";
import { readEnv } from "../environment.js";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import { normalizeThumbprint, thumbprintPinningPolicy } from "../pipeline/thumbprintPinningPolicy.js";
import { parseEndpoint } from "./endpoint.js";
import type { ManagedIdentitySource } from "./source.js";

const VARIABLES = ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT"] as const;

function notHere(env: NodeJS.ProcessEnv): CredentialUnavailableError {
  const missing = VARIABLES.filter((name) => readEnv(name, env) === undefined);
  return new CredentialUnavailableError(
    `Service Fabric: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set, so this is not a Service Fabric application with a managed identity.`,
  );
}

function thumbprintOf(env: NodeJS.ProcessEnv): string | undefined {
  const value = readEnv("IDENTITY_SERVER_THUMBPRINT", env);
  if (value === undefined) return undefined;
  const thumbprint = normalizeThumbprint(value);
  if (thumbprint === undefined)
    throw new TypeError(`IDENTITY_SERVER_THUMBPRINT is not a certificate thumbprint: '${value}'.`);
  return thumbprint;
}

/**
 * Service Fabric: `GET $IDENTITY_ENDPOINT?api-version=2019-07-01-preview&resource=R` with
 * `secret: $IDENTITY_HEADER`, over TLS to the cluster's self-signed certificate, accepted only when its
 * thumbprint is `IDENTITY_SERVER_THUMBPRINT`. The identity is the application's, chosen in the cluster.
 * @internal
 */
export const serviceFabricSource: ManagedIdentitySource = {
  name: "servicefabric",
  displayName: "Service Fabric",
  identityParameters: {},
  identityRestriction:
    "a Service Fabric application gets the identity its application manifest assigns to it, chosen in the cluster, not by the caller",
  retry: "standard",
  detectedBy: VARIABLES,
  endpoint(options: ManagedIdentityCredentialOptions, env) {
    if (thumbprintOf(env) === undefined || readEnv("IDENTITY_HEADER", env) === undefined) throw notHere(env);
    const [value, from] =
      options.endpoint !== undefined
        ? [options.endpoint, "The endpoint option"]
        : [readEnv("IDENTITY_ENDPOINT", env), "IDENTITY_ENDPOINT"];
    if (value === undefined) throw notHere(env);
    const url = parseEndpoint(value, from);
    // The secret goes out only once the certificate is checked, which plain http cannot do.
    if (url.protocol !== "https:") throw new TypeError(`${from} must be an https URL for Service Fabric: '${value}'.`);
    return url;
  },
  request({ resource, env }) {
    const secret = readEnv("IDENTITY_HEADER", env);
    if (secret === undefined) throw notHere(env);
    return { method: "GET", query: { "api-version": "2019-07-01-preview", resource }, headers: { secret } };
  },
  policies(options, env) {
    const thumbprint = thumbprintOf(env);
    // Without a thumbprint the endpoint is refused above, so no request is ever sent unpinned.
    if (thumbprint === undefined) return {};
    return {
      transport: thumbprintPinningPolicy({ thumbprint, handshakeTimeoutMs: options.retryOptions?.tryTimeoutInMs }),
    };
  },
  troubleshooting:
    "Check that the application's manifest assigns it a managed identity and that IDENTITY_SERVER_THUMBPRINT is the thumbprint of the cluster's managed identity token service certificate.",
};
