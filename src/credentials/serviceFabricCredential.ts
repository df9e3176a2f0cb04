import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import { serviceFabricSource } from "../sources/serviceFabric.js";
import { ManagedIdentityClient } from "./managedIdentityClient.js";

/**
 * Options of {@link ServiceFabricCredential}: no user-assigned identity (the application manifest chooses it).
 */
export type ServiceFabricCredentialOptions = Omit<
  ManagedIdentityCredentialOptions,
  "clientId" | "objectId" | "resourceId"
>;

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
   * @param options - an endpoint override (https only), retry options.
   * @throws `TypeError` when a user-assigned identity is given, the endpoint is not an https URL or
   * `IDENTITY_SERVER_THUMBPRINT` is not a thumbprint.
   */
  constructor(options: ServiceFabricCredentialOptions = {}) {
    this.#client = new ManagedIdentityClient(serviceFabricSource, options);
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
