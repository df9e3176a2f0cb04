import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { explicitOptions, optionKeys } from "../explicitOptions.js";
import { checkWholeNumber, MILLISECONDS_RANGE } from "../optionChecks.js";
import { MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS } from "../options.js";
import { type ImdsCredentialOptions, imdsSource } from "../sources/imds.js";
import { ManagedIdentityClient } from "../engine/managedIdentityClient.js";

export type { ImdsCredentialOptions };

/** The keys of {@link ImdsCredentialOptions}, checked against it at compile time. @internal */
export const IMDS_CREDENTIAL_OPTION_KEYS = optionKeys<ImdsCredentialOptions>()([
  ...MANAGED_IDENTITY_CREDENTIAL_OPTION_KEYS,
  "connectTimeoutInMs",
]);

/**
 * Gets tokens from the Azure Instance Metadata Service (IMDS) at `169.254.169.254`: Azure VMs,
 * VM scale sets and AKS nodes, with a system-assigned or a user-assigned identity.
 *
 * Off Azure it gives up fast, so that a chain behind it (`@azure/identity`'s `ChainedTokenCredential`) moves on:
 * IMDS is on the host and accepts a connection at once, so until IMDS has answered this credential once, a
 * connection refused, unreachable or not made within `connectTimeoutInMs` (default 1 s, as a network that
 * silently drops packets to 169.254.169.254 does) is `CredentialUnavailableError` (code `unreachable`) at once,
 * not retried. After IMDS has answered once, a failed connect is transient and retried. A connection that is
 * made and then hangs is bounded by each try's `tryTimeoutInMs`, retried, and the caller's `requestOptions.timeout`.
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
   * @param options - a user-assigned identity, an endpoint override, retry options, the connect bound.
   * @throws `TypeError` when more than one of `clientId`, `objectId`, `resourceId` is given, the endpoint is not
   * a URL, or `connectTimeoutInMs` is not a whole number from 0 to 2^31-1.
   */
  constructor(options?: ImdsCredentialOptions) {
    options = explicitOptions("ImdsCredential", options, IMDS_CREDENTIAL_OPTION_KEYS);
    checkWholeNumber(options.connectTimeoutInMs, "connectTimeoutInMs", MILLISECONDS_RANGE);
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
