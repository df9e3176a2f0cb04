import { proxyPolicy } from "@azure/core-rest-pipeline";
import { CredentialUnavailableError } from "../errors.js";
import { readEnv } from "../environment.js";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import { isLoopbackHost } from "../shared/loopbackHost.js";
import { parseEndpoint } from "./endpoint.js";
import { readFederatedToken } from "./federatedTokenFile.js";
import type { ManagedIdentitySource } from "./source.js";

/** Microsoft Entra's public cloud authority, when `AZURE_AUTHORITY_HOST` is not set. */
export const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";

const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const TENANT = /^[0-9A-Za-z.-]+$/;

/**
 * Options of {@link WorkloadIdentityCredential}. Each one overrides its environment variable.
 */
export interface WorkloadIdentityCredentialOptions extends Omit<
  ManagedIdentityCredentialOptions,
  "objectId" | "resourceId"
> {
  /** The client id of the identity (an app registration or a user-assigned identity). Default: `AZURE_CLIENT_ID`. */
  clientId?: string;
  /** The identity's Microsoft Entra tenant. Default: `AZURE_TENANT_ID`. */
  tenantId?: string;
  /** The file that holds the federated (service account) token. Default: `AZURE_FEDERATED_TOKEN_FILE`. */
  tokenFilePath?: string;
  /** The Microsoft Entra authority host. Default: `AZURE_AUTHORITY_HOST`, else `https://login.microsoftonline.com`. */
  authorityHost?: string;
}

function missing(what: string[]): CredentialUnavailableError {
  return new CredentialUnavailableError(
    `Workload identity: ${what.join(", ")} ${what.length === 1 ? "is" : "are"} not set, so this pod is not set up for workload identity (label it azure.workload.identity/use: "true" and give its service account the azure.workload.identity/client-id annotation).`,
  );
}

function configuration(options: WorkloadIdentityCredentialOptions, env: NodeJS.ProcessEnv) {
  return {
    clientId: options.clientId || readEnv("AZURE_CLIENT_ID", env),
    tenantId: options.tenantId || readEnv("AZURE_TENANT_ID", env),
    tokenFilePath: options.tokenFilePath || readEnv("AZURE_FEDERATED_TOKEN_FILE", env),
  };
}

function requireConfiguration(options: WorkloadIdentityCredentialOptions, env: NodeJS.ProcessEnv) {
  const { clientId, tenantId, tokenFilePath } = configuration(options, env);
  if (clientId === undefined || tenantId === undefined || tokenFilePath === undefined) {
    throw missing([
      ...(tokenFilePath === undefined ? ["AZURE_FEDERATED_TOKEN_FILE"] : []),
      ...(clientId === undefined ? ["AZURE_CLIENT_ID"] : []),
      ...(tenantId === undefined ? ["AZURE_TENANT_ID"] : []),
    ]);
  }
  return { clientId, tenantId, tokenFilePath };
}

/**
 * AKS workload identity: the pod's federated token, read from `AZURE_FEDERATED_TOKEN_FILE`, exchanged
 * at Microsoft Entra (`POST $AZURE_AUTHORITY_HOST/$AZURE_TENANT_ID/oauth2/v2.0/token`) as a client
 * assertion for an access token of `AZURE_CLIENT_ID`. The only source that leaves the machine, so the
 * only one that goes through `HTTPS_PROXY`.
 * @internal
 */
export const workloadIdentitySource: ManagedIdentitySource<WorkloadIdentityCredentialOptions, "workloadidentity"> = {
  name: "workloadidentity",
  displayName: "Workload identity",
  variables: [
    { name: "AZURE_FEDERATED_TOKEN_FILE", kind: "value" },
    { name: "AZURE_CLIENT_ID", kind: "value" },
    { name: "AZURE_TENANT_ID", kind: "value" },
    { name: "AZURE_AUTHORITY_HOST", kind: "url" },
  ],
  identityParameters: { clientId: "client_id" },
  identityRestriction: "workload identity names its identity by client id only",
  retry: "standard",
  remoteEndpoint: true,
  detectedBy: ["AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"],
  endpoint(options, env) {
    const { tenantId } = requireConfiguration(options, env);
    if (options.endpoint !== undefined) return parseEndpoint(options.endpoint, "The endpoint option");
    if (!TENANT.test(tenantId)) throw new TypeError(`The tenant id is not a tenant id or domain: '${tenantId}'.`);
    const [host, from] = options.authorityHost
      ? [options.authorityHost, "The authorityHost option"]
      : [readEnv("AZURE_AUTHORITY_HOST", env) ?? DEFAULT_AUTHORITY_HOST, "AZURE_AUTHORITY_HOST"];
    const authority = parseEndpoint(host, from);
    // The assertion is a credential: never over plain http, except to this machine (tests, emulators).
    if (authority.protocol !== "https:" && !isLoopbackHost(authority.hostname)) {
      throw new TypeError(`${from} must be an https URL: '${host}'.`);
    }
    authority.pathname = `${authority.pathname.replace(/\/+$/, "")}/${tenantId}/oauth2/v2.0/token`;
    return authority;
  },
  async request({ resource, identityParameter, env, options }) {
    const { clientId, tokenFilePath } = requireConfiguration(options, env);
    const assertion = await readFederatedToken(tokenFilePath);
    return {
      method: "POST",
      form: {
        grant_type: "client_credentials",
        client_id: identityParameter?.[1] ?? clientId,
        scope: `${resource}/.default`,
        client_assertion: assertion,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
      },
    };
  },
  // Microsoft Entra is on the internet: a cluster's egress proxy applies, NO_PROXY included.
  policies: () => ({ transport: proxyPolicy() }),
  troubleshooting:
    "Check the federated identity credential on the identity: its issuer must be the cluster's OIDC issuer URL and its subject system:serviceaccount:<namespace>:<service account>.",
};
