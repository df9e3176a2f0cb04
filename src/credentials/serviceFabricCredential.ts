import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { explicitOptions, optionKeys, withoutKeys } from "../explicitOptions.js";
import { MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS, type ManagedIdentityCredentialOptions } from "../options.js";
import { serviceFabricSource } from "../sources/serviceFabric.js";
import { ManagedIdentityClient } from "../engine/managedIdentityClient.js";

/**
 * Options of {@link ServiceFabricCredential}: a user-assigned identity of the application manifest by its
 * `objectId` only (sent as `principalId`); the cluster's token service takes no client id or resource id.
 */
export type ServiceFabricCredentialOptions = Omit<ManagedIdentityCredentialOptions, "clientId" | "resourceId">;

/** The keys of {@link ServiceFabricCredentialOptions}, checked against it at compile time. @internal */
export const SERVICE_FABRIC_CREDENTIAL_OPTION_KEYS = optionKeys<ServiceFabricCredentialOptions>()(
  withoutKeys(MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS, "clientId", "resourceId"),
);

/**
 * Gets tokens for a Service Fabric application from the cluster's managed identity token service
 * (`IDENTITY_ENDPOINT`, authenticated by `IDENTITY_HEADER`). The service's self-signed certificate is
 * accepted only when its thumbprint is `IDENTITY_SERVER_THUMBPRINT`; with any other certificate nothing
 * is sent.
 *
 * @example
 * ```ts
 * import { BlobServiceClient } from "@azure/storage-blob";
 * import { ServiceFabricCredential } from "azure-managed-identity";
 *
 * const blobs = new BlobServiceClient("https://myaccount.blob.core.windows.net", new ServiceFabricCredential());
 * ```
 */
export class ServiceFabricCredential implements TokenCredential {
  readonly #client: ManagedIdentityClient;

  /**
   * @param options - the `objectId` of a user-assigned identity, an endpoint override (https only), retry options.
   * @throws `TypeError` when `clientId` or `resourceId` is given (the message names `objectId`), the endpoint is
   * not an https URL or `IDENTITY_SERVER_THUMBPRINT` is not a thumbprint.
   */
  constructor(options: ServiceFabricCredentialOptions = {}) {
    this.#client = new ManagedIdentityClient(
      serviceFabricSource,
      explicitOptions("ServiceFabricCredential", options, SERVICE_FABRIC_CREDENTIAL_OPTION_KEYS),
    );
  }

  /**
   * Gets a token for one scope, from the cache when it is fresh.
   * @throws `CredentialUnavailableError` when the Service Fabric variables are not set or nothing listens;
   * `AuthenticationError` when the certificate is not the expected one or the endpoint fails.
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    return this.#client.getToken(scopes, options);
  }
}
