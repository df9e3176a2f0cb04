import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { explicitOptions, optionKeys, withoutKeys } from "../explicitOptions.js";
import { MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS, type ManagedIdentityCredentialOptions } from "../options.js";
import { azureMlSource } from "../sources/azureMl.js";
import { ManagedIdentityClient } from "../engine/managedIdentityClient.js";

/**
 * Options of {@link AzureMLCredential}: a user-assigned identity by client id only.
 */
export type AzureMLCredentialOptions = Omit<ManagedIdentityCredentialOptions, "objectId" | "resourceId">;

/** The keys of {@link AzureMLCredentialOptions}, checked against it at compile time. @internal */
export const AZURE_ML_CREDENTIAL_OPTION_KEYS = optionKeys<AzureMLCredentialOptions>()(
  withoutKeys(MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS, "objectId", "resourceId"),
);

/**
 * Gets tokens on Azure Machine Learning compute from its local endpoint (`MSI_ENDPOINT`,
 * authenticated by `MSI_SECRET`), for the identity in `clientId` or else the compute's own
 * (`DEFAULT_IDENTITY_CLIENT_ID`).
 *
 * @example
 * ```ts
 * import { BlobServiceClient } from "@azure/storage-blob";
 * import { AzureMLCredential } from "azure-managed-identity";
 *
 * const blobs = new BlobServiceClient("https://myaccount.blob.core.windows.net", new AzureMLCredential());
 * ```
 */
export class AzureMLCredential implements TokenCredential {
  readonly #client: ManagedIdentityClient;

  /**
   * @param options - a user-assigned identity's `clientId`, an endpoint override, retry options.
   * @throws `TypeError` when `objectId` or `resourceId` is given (Azure ML takes a client id only) or the endpoint is not a URL.
   */
  constructor(options: AzureMLCredentialOptions = {}) {
    this.#client = new ManagedIdentityClient(
      azureMlSource,
      explicitOptions("AzureMLCredential", options, AZURE_ML_CREDENTIAL_OPTION_KEYS),
    );
  }

  /**
   * Gets a token for one scope, from the cache when it is fresh.
   * @throws `CredentialUnavailableError` when `MSI_ENDPOINT` and `MSI_SECRET` are not set or nothing listens;
   * `AuthenticationError` when the endpoint fails.
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    return this.#client.getToken(scopes, options);
  }
}
