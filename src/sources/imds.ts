import { readEnv } from "../environment.js";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import { connectBoundPolicy } from "../pipeline/connectBoundPolicy.js";
import { METADATA_HEADER_DENIED, metadataHeaderPolicy } from "../pipeline/metadataHeaderPolicy.js";
import { parseEndpoint } from "./endpoint.js";
import type { ManagedIdentitySource } from "./source.js";

/** The Instance Metadata Service's address on every Azure VM. */
export const IMDS_HOST = "http://169.254.169.254";
/** The token path under an IMDS host. */
export const IMDS_TOKEN_PATH = "/metadata/identity/oauth2/token";

/**
 * How long a new connection to IMDS may take by default. IMDS is on the host and accepts at once; off
 * Azure, a network that drops packets to 169.254.169.254 would otherwise cost every try its timeout.
 */
export const DEFAULT_IMDS_CONNECT_TIMEOUT_MS = 1000;

/**
 * Options of {@link ImdsCredential}: those of every credential and IMDS's connect bound.
 */
export interface ImdsCredentialOptions extends ManagedIdentityCredentialOptions {
  /**
   * How long a new connection to IMDS may take, in whole milliseconds from 0 to 2^31-1. Until IMDS has
   * answered this credential once, a connection not made within it (or refused, or unreachable) is
   * `CredentialUnavailableError` with code `unreachable` at once, not retried, so that a chain moves on;
   * after that, a failed connect is transient and retried. A connection that is made and then hangs is
   * bounded by `retryOptions.tryTimeoutInMs`, not by this. Default: 1000; 0 means no connect bound.
   */
  connectTimeoutInMs?: number | undefined;
}

/**
 * Docker Desktop answers requests for 169.254.169.254 itself, with 403 and a body saying the address is
 * unreachable: off Azure, not a failing IMDS.
 * @internal
 */
export function isDockerDesktopUnreachable(status: number, body: string | undefined): boolean {
  return status === 403 && /unreachable/i.test(body ?? "");
}

/**
 * IMDS's answer when there is no managed identity on this host, or not the user-assigned one asked for:
 * 400 `{"error":"invalid_request","error_description":"Identity not found"}` (the body IMDS sends, as quoted in
 * Azure/azure-sdk-for-net issue 37278). Every other 400 comes from a host that has the identity but refused the
 * request itself (`invalid_resource` AADSTS500011 for an unknown resource, a malformed request): a failure.
 * @internal
 */
export function isIdentityNotFound(status: number, body: string | undefined): boolean {
  return status === 400 && /identity not found/i.test(body ?? "");
}

function imdsEndpoint(options: ManagedIdentityCredentialOptions, env: NodeJS.ProcessEnv): URL {
  if (options.endpoint !== undefined) {
    const url = parseEndpoint(options.endpoint, "The endpoint option");
    // A bare origin names the IMDS host; anything longer is the full token endpoint.
    if (url.pathname === "/") url.pathname = IMDS_TOKEN_PATH;
    return url;
  }
  const host = readEnv("AZURE_POD_IDENTITY_AUTHORITY_HOST", env);
  const url = parseEndpoint(host ?? IMDS_HOST, "AZURE_POD_IDENTITY_AUTHORITY_HOST");
  // The variable names a host, under which the token path always goes, as azure-identity does
  // (host.strip("/") + "/metadata/identity/oauth2/token"); a value that already ends with it is kept.
  const base = url.pathname.replace(/\/+$/, "");
  if (!base.endsWith(IMDS_TOKEN_PATH)) url.pathname = `${base}${IMDS_TOKEN_PATH}`;
  return url;
}

/**
 * The Azure Instance Metadata Service: Azure VMs, VM scale sets, AKS nodes.
 * `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=R` with `Metadata: true`.
 * @internal
 */
export const imdsSource: ManagedIdentitySource<ImdsCredentialOptions, "imds"> = {
  name: "imds",
  displayName: "IMDS",
  credentialName: "ImdsCredential",
  variables: [{ name: "AZURE_POD_IDENTITY_AUTHORITY_HOST", kind: "url" }],
  identityParameters: { clientId: "client_id", objectId: "object_id", resourceId: "msi_res_id" },
  retry: "imds",
  configure(options: ImdsCredentialOptions, env) {
    return {
      endpoint: imdsEndpoint(options, env),
      request({ resource, identityParameter }) {
        const query: Record<string, string> = { "api-version": "2018-02-01", resource };
        if (identityParameter) query[identityParameter[0]] = identityParameter[1];
        return { method: "GET", query };
      },
      // One connect bound per credential: it remembers whether IMDS has answered this credential.
      policies: {
        headers: [metadataHeaderPolicy()],
        transport: connectBoundPolicy({
          connectTimeoutInMs: options.connectTimeoutInMs ?? DEFAULT_IMDS_CONNECT_TIMEOUT_MS,
          displayName: "IMDS",
        }),
      },
    };
  },
  // 400 "Identity not found": no identity here, or not the one asked for. 403 "unreachable": Docker Desktop's answer off Azure.
  unavailableAnswer: (status, body) =>
    isIdentityNotFound(status, body)
      ? "no-identity"
      : isDockerDesktopUnreachable(status, body)
        ? "docker-desktop"
        : undefined,
  // The host the request really used: a custom endpoint (AZURE_POD_IDENTITY_AUTHORITY_HOST, an emulator) is named.
  advice: (endpoint) =>
    `On an Azure VM, check that a managed identity is assigned to it (az vm identity show) and that nothing (a proxy, a firewall, a container network) stands between this process and ${endpoint?.host ?? new URL(IMDS_HOST).host}.`,
  denied: METADATA_HEADER_DENIED,
};
