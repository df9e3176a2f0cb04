import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { explicitOptions, optionKeys } from "../explicitOptions.js";
import { MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS, type ManagedIdentityCredentialOptions } from "../options.js";
import { appServiceSource } from "../sources/appService.js";
import { ManagedIdentityClient } from "../engine/managedIdentityClient.js";

/**
 * Options of {@link AppServiceCredential}.
 */
export type AppServiceCredentialOptions = ManagedIdentityCredentialOptions;

/** The keys of {@link AppServiceCredentialOptions}, checked against it at compile time. @internal */
export const APP_SERVICE_CREDENTIAL_OPTION_KEYS = optionKeys<AppServiceCredentialOptions>()(
  MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS,
);

/**
 * Gets tokens on Azure App Service, Azure Functions and Azure Container Apps from the platform's
 * local endpoint (`IDENTITY_ENDPOINT`, authenticated by `IDENTITY_HEADER`).
 *
 * @example
 * ```ts
 * import { SecretClient } from "@azure/keyvault-secrets";
 * import { AppServiceCredential } from "azure-managed-identity";
 *
 * const client = new SecretClient("https://myvault.vault.azure.net", new AppServiceCredential());
 * ```
 */
export class AppServiceCredential implements TokenCredential {
  readonly #client: ManagedIdentityClient;

  /**
   * @param options - a user-assigned identity (`clientId`, `objectId` or `resourceId`), an endpoint override, retry options.
   * @throws `TypeError` when more than one of `clientId`, `objectId`, `resourceId` is given or the endpoint is not a URL.
   */
  constructor(options: AppServiceCredentialOptions = {}) {
    this.#client = new ManagedIdentityClient(
      appServiceSource,
      explicitOptions("AppServiceCredential", options, APP_SERVICE_CREDENTIAL_OPTION_KEYS),
    );
  }

  /**
   * Gets a token for one scope, from the cache when it is fresh.
   * @throws `CredentialUnavailableError` when `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are not set or nothing listens;
   * `AuthenticationError` when the endpoint fails.
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    return this.#client.getToken(scopes, options);
  }
}
