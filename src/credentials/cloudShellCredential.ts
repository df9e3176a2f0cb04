import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { explicitOptions, optionKeys, withoutKeys } from "../explicitOptions.js";
import { MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS, type ManagedIdentityCredentialOptions } from "../options.js";
import { cloudShellSource } from "../sources/cloudShell.js";
import { ManagedIdentityClient } from "../engine/managedIdentityClient.js";

/**
 * Options of {@link CloudShellCredential}: no user-assigned identity.
 */
export type CloudShellCredentialOptions = Omit<
  ManagedIdentityCredentialOptions,
  "clientId" | "objectId" | "resourceId"
>;

/** The keys of {@link CloudShellCredentialOptions}, checked against it at compile time. @internal */
export const CLOUD_SHELL_CREDENTIAL_OPTION_KEYS = optionKeys<CloudShellCredentialOptions>()(
  withoutKeys(MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS, "clientId", "objectId", "resourceId"),
);

/**
 * Gets tokens in Azure Cloud Shell, for the signed-in user, from the endpoint in `MSI_ENDPOINT`.
 *
 * @example
 * ```ts
 * import { BlobServiceClient } from "@azure/storage-blob";
 * import { CloudShellCredential } from "azure-managed-identity";
 *
 * const blobs = new BlobServiceClient("https://myaccount.blob.core.windows.net", new CloudShellCredential());
 * ```
 */
export class CloudShellCredential implements TokenCredential {
  readonly #client: ManagedIdentityClient;

  /**
   * @param options - an endpoint override, retry options.
   * @throws `TypeError` when a user-assigned identity is given (Cloud Shell has none) or the endpoint is not a URL.
   */
  constructor(options: CloudShellCredentialOptions = {}) {
    this.#client = new ManagedIdentityClient(
      cloudShellSource,
      explicitOptions("CloudShellCredential", options, CLOUD_SHELL_CREDENTIAL_OPTION_KEYS),
    );
  }

  /**
   * Gets a token for one scope, from the cache when it is fresh.
   * @throws `CredentialUnavailableError` when not in Cloud Shell; `AuthenticationError` when its endpoint fails.
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    return this.#client.getToken(scopes, options);
  }
}
