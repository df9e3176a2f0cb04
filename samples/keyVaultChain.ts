/**
 * Reads a secret from Azure Key Vault with whatever managed identity this host offers, and falls
 * back to the developer's Azure CLI login only when the host offers none.
 *
 * `ManagedIdentityChainCredential` throws `CredentialUnavailableError` when it finds no managed identity,
 * which moves `@azure/identity`'s `ChainedTokenCredential` on to the next credential; when it finds one
 * that fails, it throws `AuthenticationError`, which stops the chain: a production service whose
 * identity is broken fails loudly instead of running as a developer.
 *
 * From a clone of this repository: `npm ci`, then
 *   KEY_VAULT_URL=https://<vault>.vault.azure.net SECRET_NAME=<secret> npx tsx samples/keyVaultChain.ts
 *
 * In your own code, import from "azure-managed-identity" rather than "../src/index.js".
 */
import { pathToFileURL } from "node:url";
import type { TokenCredential } from "@azure/core-auth";
import { AzureCliCredential, ChainedTokenCredential } from "@azure/identity";
import { type KeyVaultSecret, SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets";
import { ManagedIdentityChainCredential, type ManagedIdentityChainCredentialOptions } from "../src/index.js";

/** What the sample needs. */
export interface KeyVaultChainOptions {
  vaultUrl: string;
  secretName: string;
  /** Options of the managed identity chain (a user-assigned identity; Arc's token folder, for an emulator). */
  managedIdentity?: ManagedIdentityChainCredentialOptions;
  /** The credential to fall back to when the host has no managed identity. Default: the Azure CLI login. */
  fallback?: TokenCredential;
  /** More `SecretClient` options (the emulator's certificate, for one). */
  clientOptions?: SecretClientOptions;
}

/** Reads the secret with the host's managed identity, or the fallback when there is none. */
export async function main(options: KeyVaultChainOptions): Promise<KeyVaultSecret> {
  const credential = new ChainedTokenCredential(
    new ManagedIdentityChainCredential(options.managedIdentity),
    options.fallback ?? new AzureCliCredential(),
  );
  return new SecretClient(options.vaultUrl, credential, options.clientOptions).getSecret(options.secretName);
}

// Run directly (npx tsx samples/keyVaultChain.ts): read the settings from the environment.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const vaultUrl = process.env["KEY_VAULT_URL"];
  if (!vaultUrl) {
    console.error(
      "Set KEY_VAULT_URL to the vault's URL, such as https://myvault.vault.azure.net (and SECRET_NAME to the secret's name).",
    );
    process.exitCode = 2;
  } else {
    main({ vaultUrl, secretName: process.env["SECRET_NAME"] || "db-password" }).then(
      // Never print a secret's value: its version and length show that it arrived.
      (secret) =>
        console.log(
          `Read the secret '${secret.name}' (version ${secret.properties.version}, ${secret.value?.length ?? 0} characters).`,
        ),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  }
}
