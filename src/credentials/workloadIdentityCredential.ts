import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { workloadIdentitySource, type WorkloadIdentityCredentialOptions } from "../sources/workloadIdentity.js";
import { ManagedIdentityClient } from "../engine/managedIdentityClient.js";
import { explicitOptions, optionKeys, withoutKeys } from "../explicitOptions.js";
import { MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS } from "../options.js";

export type { WorkloadIdentityCredentialOptions };

/** The keys of {@link WorkloadIdentityCredentialOptions}, checked against it at compile time. @internal */
export const WORKLOAD_IDENTITY_CREDENTIAL_OPTION_KEYS = optionKeys<WorkloadIdentityCredentialOptions>()([
  ...withoutKeys(MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS, "objectId", "resourceId"),
  "tenantId",
  "tokenFilePath",
  "authorityHost",
  "additionallyAllowedTenants",
  "enableAzureProxy",
]);

/**
 * Gets tokens on AKS with workload identity: the pod's federated service account token
 * (`AZURE_FEDERATED_TOKEN_FILE`, re-read whenever the kubelet rotates it) is exchanged at Microsoft
 * Entra for an access token of the identity `AZURE_CLIENT_ID` in `AZURE_TENANT_ID`.
 *
 * @example
 * ```ts
 * import { SecretClient } from "@azure/keyvault-secrets";
 * import { WorkloadIdentityCredential } from "azure-managed-identity";
 *
 * const client = new SecretClient("https://myvault.vault.azure.net", new WorkloadIdentityCredential());
 * ```
 */
export class WorkloadIdentityCredential implements TokenCredential {
  readonly #client: ManagedIdentityClient<WorkloadIdentityCredentialOptions>;

  /**
   * @param options - `clientId`, `tenantId`, `tokenFilePath`, `authorityHost` (each overriding its
   * environment variable), a full token endpoint override, retry options.
   * @throws `TypeError` when the tenant id or the authority host is malformed, or the authority is plain http off this machine.
   */
  constructor(options: WorkloadIdentityCredentialOptions = {}) {
    this.#client = new ManagedIdentityClient(
      workloadIdentitySource,
      explicitOptions("WorkloadIdentityCredential", options, WORKLOAD_IDENTITY_CREDENTIAL_OPTION_KEYS),
    );
  }

  /**
   * Gets a token for one scope, from the cache when it is fresh.
   * @throws `CredentialUnavailableError` when the pod is not set up for workload identity;
   * `AuthenticationError` when the token file cannot be read or Microsoft Entra refuses the exchange (with its error code and description).
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    return this.#client.getToken(scopes, options);
  }
}
