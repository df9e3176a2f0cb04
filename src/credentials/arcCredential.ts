import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { arcSource, type ArcCredentialOptions } from "../sources/arc/arcSource.js";
import { ManagedIdentityClient } from "../engine/managedIdentityClient.js";
import { explicitOptions, optionKeys } from "../explicitOptions.js";
import { MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS } from "../options.js";

export type { ArcCredentialOptions };

/** The keys of {@link ArcCredentialOptions}, checked against it at compile time. @internal */
export const ARC_CREDENTIAL_OPTION_KEYS = optionKeys<ArcCredentialOptions>()([
  ...MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS,
  "tokenFolder",
]);

/**
 * Gets tokens on an Azure Arc-enabled server from the local Connected Machine agent (himds),
 * answering its file challenge safely: the file is read only inside the agent's token folder,
 * and its content is sent only to the loopback endpoint that asked for it.
 *
 * The process must be allowed to read the token folder: on Linux, its user is in the `himds` group.
 *
 * @example
 * ```ts
 * import { SecretClient } from "@azure/keyvault-secrets";
 * import { ArcCredential } from "azure-managed-identity";
 *
 * const client = new SecretClient("https://myvault.vault.azure.net", new ArcCredential());
 * const secret = await client.getSecret("db-password");
 * ```
 */
export class ArcCredential implements TokenCredential {
  readonly #client: ManagedIdentityClient<ArcCredentialOptions>;

  /**
   * @param options - a user-assigned identity (checked against the token's claims), the token folder, an endpoint override.
   * @throws `TypeError` when more than one of `clientId`, `objectId`, `resourceId` is given or the endpoint is not a URL.
   */
  constructor(options: ArcCredentialOptions = {}) {
    this.#client = new ManagedIdentityClient(
      arcSource,
      explicitOptions("ArcCredential", options, ARC_CREDENTIAL_OPTION_KEYS),
    );
  }

  /**
   * Gets a token for one scope, from the cache when it is fresh.
   * @throws `CredentialUnavailableError` when no agent listens; `AuthenticationError` when the agent or its challenge fails.
   */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    return this.#client.getToken(scopes, options);
  }
}
