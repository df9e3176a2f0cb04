/**
 * Reads a secret from Azure Key Vault with the managed identity of an Azure Arc-enabled server.
 *
 * To run it on an Arc-enabled server (Linux):
 *   1. The machine is connected to Azure Arc: `azcmagent show` says "Connected".
 *   2. The machine's identity may read the vault's secrets, for example with the "Key Vault Secrets User" role:
 *        az role assignment create --assignee <the machine's principal id> \
 *          --role "Key Vault Secrets User" --scope <the vault's resource id>
 *   3. Your user may read the agent's token folder: `sudo usermod -a -G himds $USER`, then log in again.
 *   4. From a clone of this repository: `npm ci`, then
 *        KEY_VAULT_URL=https://<vault>.vault.azure.net SECRET_NAME=<secret> npx tsx samples/keyVaultArc.ts
 * On Windows, run it as an administrator or as a member of "Hybrid agent extension applications".
 *
 * Against the local emulator, `main` takes the emulator's Arc endpoint, its token folder and its Key Vault
 * client options:
 *   const emulator = await startEmulator();
 *   await main({ vaultUrl: emulator.keyVaultUrl, secretName: "demo-secret", endpoint: emulator.endpoints.arc,
 *                tokenFolder: emulator.tokenFolder, clientOptions: emulatedKeyVaultClientOptions(emulator.ca) });
 *
 * In your own code, import from "azure-managed-identity" rather than "../src/index.js".
 */
import { pathToFileURL } from "node:url";
import { type KeyVaultSecret, SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets";
import { ArcCredential, AuthenticationError, CredentialUnavailableError } from "../src/index.js";

/** What the sample needs. */
export interface KeyVaultArcOptions {
  /** `https://<vault>.vault.azure.net` */
  vaultUrl: string;
  secretName: string;
  /** The agent's endpoint, for an emulator; IDENTITY_ENDPOINT or http://127.0.0.1:40342 when absent. */
  endpoint?: string;
  /** The folder the agent writes its challenge files to, for an emulator; the agent's own when absent. */
  tokenFolder?: string;
  /** More `SecretClient` options (the emulator's certificate, for one). */
  clientOptions?: SecretClientOptions;
}

/** Reads the secret: `new SecretClient(url, new ArcCredential())`. */
export async function main(options: KeyVaultArcOptions): Promise<KeyVaultSecret> {
  const credential = new ArcCredential({ endpoint: options.endpoint, tokenFolder: options.tokenFolder });
  const client = new SecretClient(options.vaultUrl, credential, options.clientOptions);
  return client.getSecret(options.secretName);
}

// Run directly (npx tsx samples/keyVaultArc.ts): read the settings from the environment.
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
        if (error instanceof CredentialUnavailableError)
          console.error(`No Azure Arc agent answers on this machine: ${error.message}`);
        else if (error instanceof AuthenticationError)
          console.error(`The Azure Arc agent did not give a token: ${error.message}`);
        else console.error(error);
        process.exitCode = 1;
      },
    );
  }
}
