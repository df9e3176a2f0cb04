import { CredentialUnavailableError } from "../errors.js";
import { readEnv } from "../environment.js";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import { isLoopbackHost } from "../shared/loopbackHost.js";
import { maskUserInfo } from "../shared/maskUserInfo.js";
import { aksTokenProxyPolicy, readAksTokenProxy } from "./aksTokenProxy.js";
import { egressProxyPolicy } from "./egressProxy.js";
import { configurationError, parseEndpoint } from "./endpoint.js";
import { readFederatedToken } from "./federatedTokenFile.js";
import type { ManagedIdentitySource } from "./source.js";
import { tenantTokenUrl } from "./tenantTokenUrl.js";

/** Microsoft Entra's public cloud authority, when `AZURE_AUTHORITY_HOST` is not set. */
export const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";

const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** A GUID or a domain: labels of letters, digits and `-` joined by single dots (`.` or `..` would leave the path). */
const TENANT = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;

/**
 * Options of {@link WorkloadIdentityCredential}. Each one overrides its environment variable.
 */
export interface WorkloadIdentityCredentialOptions extends Omit<
  ManagedIdentityCredentialOptions,
  "objectId" | "resourceId"
> {
  /** The client id of the identity (an app registration or a user-assigned identity). Default: `AZURE_CLIENT_ID`. */
  clientId?: string | undefined;
  /** The identity's Microsoft Entra tenant. Default: `AZURE_TENANT_ID`. */
  tenantId?: string | undefined;
  /** The file that holds the federated (service account) token. Default: `AZURE_FEDERATED_TOKEN_FILE`. */
  tokenFilePath?: string | undefined;
  /** The Microsoft Entra authority host. Default: `AZURE_AUTHORITY_HOST`, else `https://login.microsoftonline.com`. */
  authorityHost?: string | undefined;
  /**
   * Tenants other than the configured one that `getToken`'s `tenantId` may name (as Key Vault's and Storage's
   * challenges do); `"*"` allows any. A `tenantId` not listed is refused with `CredentialUnavailableError` and
   * nothing is sent, as `@azure/identity`'s credentials do. Default: none.
   */
  additionallyAllowedTenants?: string[] | undefined;
  /**
   * Use the AKS token proxy (identity bindings) when `AZURE_KUBERNETES_TOKEN_PROXY` names one, as
   * `@azure/identity` 4.14's `enableAzureProxy`: token requests go to the proxy (https, its certificate checked
   * against `AZURE_KUBERNETES_SNI_NAME` with the CAs of `AZURE_KUBERNETES_CA_FILE`, read again when it changes, or
   * `AZURE_KUBERNETES_CA_DATA`), and nothing to the authority host. Default: `false`.
   */
  enableAzureProxy?: boolean | undefined;
}

/**
 * The assertion is a credential: it goes over https only, except to this machine (tests, emulators). The same
 * rule for `AZURE_AUTHORITY_HOST`, the `authorityHost` option and the `endpoint` option.
 */
function secureEndpoint(value: string, from: string): URL {
  const url = parseEndpoint(value, from);
  if (url.protocol !== "https:" && !isLoopbackHost(url.hostname)) {
    throw configurationError(
      from,
      `${from} must be an https URL (http only to this machine's loopback): '${maskUserInfo(value)}'.`,
    );
  }
  return url;
}

function missing(what: string[]): CredentialUnavailableError {
  return new CredentialUnavailableError(
    `Workload identity: ${what.join(", ")} ${what.length === 1 ? "is" : "are"} not set, so this pod is not set up for workload identity (label it azure.workload.identity/use: "true" and give its service account the azure.workload.identity/client-id annotation).`,
    "no-endpoint",
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

/** The same tenant: ids compared without regard to case (a GUID is one tenant in any case). */
function sameTenant(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * The tenant a `getToken` goes to: the configured one, or the one it names when `additionallyAllowedTenants`
 * allows it (`@azure/identity`'s processMultiTenantRequest rule, in util/processMultiTenantRequest.ts).
 */
function resolveTenant(configured: string, allowed: readonly string[], requested: string | undefined): string {
  if (requested === undefined || requested === "" || sameTenant(requested, configured)) return configured;
  if (!allowed.includes("*") && !allowed.some((tenant) => sameTenant(tenant, requested))) {
    throw new CredentialUnavailableError(
      `Workload identity: the identity is configured for tenant ${configured}, and getToken asked for tenant ${requested}, which additionallyAllowedTenants does not list. Add it (or "*" for any tenant) to the credential's additionallyAllowedTenants option to allow it. Nothing was sent.`,
      "tenant-not-allowed",
    );
  }
  if (!TENANT.test(requested)) throw new TypeError(`The tenant id is not a tenant id or domain: '${requested}'.`);
  return requested;
}

/** The `endpoint` option names one tenant's token endpoint: no other tenant's token can come from it. */
function endpointOptionTenantOnly(configured: string, requested: string): CredentialUnavailableError {
  return new CredentialUnavailableError(
    `Workload identity: getToken asked for tenant ${requested}, but the credential's endpoint option is the token endpoint of tenant ${configured} only. Give the authorityHost option instead of endpoint to reach other tenants. Nothing was sent.`,
    "tenant-not-allowed",
  );
}

/**
 * The `claims` form field: the caller's claims as given, and with `enableCae` the client capability cp1 merged
 * in as MSAL does (msal-common RequestParameterBuilder.addClaims / buildMergedClaims: `access_token.xms_cc =
 * {"values":["cp1"]}`, the rest of the claims kept). MSAL's default `id_token` claims are not added: this grant
 * returns no id token. `undefined` when there is nothing to send.
 * @internal
 */
export function claimsField(claims: string | undefined, enableCae: boolean): string | undefined {
  if (!enableCae) return claims;
  let parsed: unknown = {};
  if (claims !== undefined) {
    try {
      parsed = JSON.parse(claims);
    } catch {
      throw new TypeError(
        "The claims are not JSON, so the CAE capability cannot be merged into them. Nothing was sent.",
      );
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new TypeError(
        "The claims are not a JSON object, so the CAE capability cannot be merged into them. Nothing was sent.",
      );
    }
  }
  const object = parsed as Record<string, unknown>;
  const accessToken = object["access_token"];
  const merged =
    typeof accessToken === "object" && accessToken !== null && !Array.isArray(accessToken)
      ? { ...(accessToken as Record<string, unknown>) }
      : {};
  merged["xms_cc"] = { values: ["cp1"] };
  return JSON.stringify({ ...object, access_token: merged });
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
  credentialName: "WorkloadIdentityCredential",
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
  configure(options, env) {
    const { clientId, tenantId, tokenFilePath } = requireConfiguration(options, env);
    const allowedTenants = [...(options.additionallyAllowedTenants ?? [])];
    // The AKS token proxy replaces the authority: nothing goes to the authority host. It is in the cluster,
    // reached with its own trust and no egress proxy; Microsoft Entra is on the internet, where a cluster's
    // egress proxy applies, NO_PROXY included (loopback never: see egressProxyPolicy).
    const proxy = options.enableAzureProxy ? readAksTokenProxy(env) : undefined;
    const transport = proxy !== undefined ? aksTokenProxyPolicy(proxy) : egressProxyPolicy(env);

    // Where the token request for a tenant goes: built from an authority and the tenant, never edited from another URL.
    let tokenUrlFor: (tenant: string) => URL;
    if (options.endpoint !== undefined) {
      const endpoint = secureEndpoint(options.endpoint, "The endpoint option");
      tokenUrlFor = (tenant) => {
        if (!sameTenant(tenant, tenantId)) throw endpointOptionTenantOnly(tenantId, tenant);
        return endpoint;
      };
    } else {
      if (!TENANT.test(tenantId)) throw new TypeError(`The tenant id is not a tenant id or domain: '${tenantId}'.`);
      let authority: URL;
      if (proxy !== undefined) {
        authority = proxy.url;
      } else {
        const [host, from] = options.authorityHost
          ? [options.authorityHost, "The authorityHost option"]
          : [readEnv("AZURE_AUTHORITY_HOST", env) ?? DEFAULT_AUTHORITY_HOST, "AZURE_AUTHORITY_HOST"];
        authority = secureEndpoint(host, from);
      }
      tokenUrlFor = (tenant) => tenantTokenUrl(authority, tenant);
    }
    // The tenant a call goes to, refused (nothing sent) when not allowed or not reachable.
    const tenantOf = (requested: string | undefined): { tenant: string; url: URL } => {
      const tenant = resolveTenant(tenantId, allowedTenants, requested);
      return { tenant, url: tokenUrlFor(tenant) };
    };

    return {
      endpoint: tokenUrlFor(tenantId),
      // One cache per tenant, and CAE tokens apart (msal keeps a CAE application apart too): never serve one for
      // the other. A token is cached under the tenant whose URL it came from.
      cachePartition(getTokenOptions) {
        const { tenant } = tenantOf(getTokenOptions?.tenantId);
        const cae = getTokenOptions?.enableCae ? "cae" : "";
        return sameTenant(tenant, tenantId) ? cae : `${tenant.toLowerCase()} ${cae}`;
      },
      async request({ resource, identityParameter, claims, enableCae, tenantId: requested, abortSignal }) {
        const { url } = tenantOf(requested);
        const field = claimsField(claims, enableCae === true);
        const assertion = await readFederatedToken(tokenFilePath, abortSignal);
        const form: Record<string, string> = {
          grant_type: "client_credentials",
          client_id: identityParameter?.[1] ?? clientId,
          scope: `${resource}/.default`,
          client_assertion: assertion,
          client_assertion_type: CLIENT_ASSERTION_TYPE,
        };
        if (field !== undefined) form["claims"] = field;
        return { method: "POST", form, url, secrets: { "the federated token": assertion } };
      },
      policies: { transport },
    };
  },
  advice: () =>
    "Check the federated identity credential on the identity: its issuer must be the cluster's OIDC issuer URL and its subject system:serviceaccount:<namespace>:<service account>.",
  // Microsoft Entra, not a local endpoint: no Metadata header; it refuses the federated token itself.
  denied: {
    cause:
      "Microsoft Entra refused the federated token (AZURE_FEDERATED_TOKEN_FILE): the identity has no federated credential for this service account, or the token expired or is for another audience.",
    fix: "Check the identity's federated credential (issuer: the cluster's OIDC issuer URL; subject: system:serviceaccount:<namespace>:<service account>) and that the token file is the one the cluster mounts.",
  },
};
