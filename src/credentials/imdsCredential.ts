import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import { imdsSource } from "../sources/imds.js";
import { ManagedIdentityClient } from "../engine/managedIdentityClient.js";

/**
 * Options of {@link ImdsCredential}.
 */
export type ImdsCredentialOptions = ManagedIdentityCredentialOptions;

/**
 * Gets tokens from the Azure Instance Metadata Service (IMDS) at `169.254.169.254`: Azure VMs,
 * VM scale sets and AKS nodes, with a system-assigned or a user-assigned identity.
 *
 * It does not probe: off Azure, a refused connection fails at once, but a network that silently drops
 * packets to 169.254.169.254 costs every try its `tryTimeoutInMs`. Where the code may run off Azure, use
 * {@link ManagedIdentityChainCredential} (a 1 s probe) or pass `requestOptions.timeout` to `getToken`.
 *
 * @example
 * ```ts
 * import { SecretClient } from "@azure/keyvault-secrets";
 * import { ImdsCredential } from "azure-managed-identity";
 *
 * const client = new SecretClient("https://myvault.vault.azure.net", new ImdsCredential({ clientId: "…" }));
 * ```
 */
export class ImdsCredential implements TokenCredential {
  readonly #client: ManagedIdentityClient;

  /**
   * @param options - a user-assigned identity, an endpoint override, retry options.
   * @throws `TypeError` when more than one of `clientId`, `objectId`, `resourceId` is given or the endpoint is not a URL.
   */
  constructor(options: ImdsCredentialOptions = {}) {
    this.#client = new ManagedIdentityClient(imdsSource, options);
  }

  /**
   * Gets a token for one scope, from the cache when it is fresh.
   * @throws `CredentialUnavailableError` when this host has no IMDS identity; `AuthenticationError` when IMDS fails.
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    return this.#client.getToken(scopes, options);
  }
}
