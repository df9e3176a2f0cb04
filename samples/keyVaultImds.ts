/**
 * Reads a secret from Azure Key Vault with the managed identity of an Azure VM, VM scale set or AKS
 * node (the Instance Metadata Service).
 *
 * On an Azure VM whose identity may read the vault's secrets ("Key Vault Secrets User"), from a clone
 * of this repository: `npm ci`, then
 *   KEY_VAULT_URL=https://<vault>.vault.azure.net SECRET_NAME=<secret> npx tsx samples/keyVaultImds.ts
 * (AZURE_CLIENT_ID=<client id> picks a user-assigned identity.)
 *
 * Against the local emulator, `main` takes the emulator's IMDS endpoint and its Key Vault client options:
 *   const emulator = await startEmulator();
 *   await main({ vaultUrl: emulator.keyVaultUrl, secretName: "demo-secret", endpoint: emulator.endpoints.imds,
 *                clientOptions: emulatedKeyVaultClientOptions(emulator.ca) });
 *
 * In your own code, import from "azure-managed-identity" rather than "../src/index.js".
 */
import { pathToFileURL } from "node:url";
import { type KeyVaultSecret, SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets";
import { AuthenticationError, CredentialUnavailableError, ImdsCredential } from "../src/index.js";

/** What the sample needs. */
export interface KeyVaultImdsOptions {
  /** `https://<vault>.vault.azure.net` */
  vaultUrl: string;
  secretName: string;
  /** A user-assigned identity's client id; the VM's system-assigned identity when absent. */
  clientId?: string;
  /** IMDS's address, for an emulator; the real one (169.254.169.254) when absent. */
  endpoint?: string;
  /** More `SecretClient` options (the emulator's certificate, for one). */
  clientOptions?: SecretClientOptions;
}

/** Reads the secret with a `SecretClient` on an `ImdsCredential`. */
export async function main(options: KeyVaultImdsOptions): Promise<KeyVaultSecret> {
  const credential = new ImdsCredential({ clientId: options.clientId, endpoint: options.endpoint });
  const client = new SecretClient(options.vaultUrl, credential, options.clientOptions);
  return client.getSecret(options.secretName);
}

// Run directly (npx tsx samples/keyVaultImds.ts): read the settings from the environment.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const vaultUrl = process.env["KEY_VAULT_URL"];
  if (!vaultUrl) {
    console.error(
      "Set KEY_VAULT_URL to the vault's URL, such as https://myvault.vault.azure.net (and SECRET_NAME to the secret's name).",
    );
    process.exitCode = 2;
  } else {
    main({
      vaultUrl,
      secretName: process.env["SECRET_NAME"] || "db-password",
      clientId: process.env["AZURE_CLIENT_ID"] || undefined,
    }).then(
      // Never print a secret's value: its version and length show that it arrived.
      (secret) =>
        console.log(
          `Read the secret '${secret.name}' (version ${secret.properties.version}, ${secret.value?.length ?? 0} characters).`,
        ),
      (error: unknown) => {
        if (error instanceof CredentialUnavailableError)
          console.error(`This machine has no IMDS managed identity: ${error.message}`);
        else if (error instanceof AuthenticationError) console.error(`IMDS did not give a token: ${error.message}`);
        else console.error(error);
        process.exitCode = 1;
      },
    );
  }
}
