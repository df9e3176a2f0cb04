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
 * In your own code, import from "azure-managed-identity" rather than "../src/index.js".
 */
import { SecretClient } from "@azure/keyvault-secrets";
import { ArcCredential, AuthenticationError, CredentialUnavailableError } from "../src/index.js";

async function main(): Promise<void> {
  const vaultUrl = process.env["KEY_VAULT_URL"];
  if (!vaultUrl) {
    console.error("Set KEY_VAULT_URL to the vault's URL, such as https://myvault.vault.azure.net (and SECRET_NAME to the secret's name).");
    process.exitCode = 2;
    return;
  }
  const secretName = process.env["SECRET_NAME"] || "db-password";

  // The agent's endpoint comes from IDENTITY_ENDPOINT (set by the agent) or its default, http://127.0.0.1:40342.
  const client = new SecretClient(vaultUrl, new ArcCredential());
  const secret = await client.getSecret(secretName);

  // Never print a secret's value: its version and length show that it arrived.
  console.log(`Read the secret '${secret.name}' (version ${secret.properties.version}, ${secret.value?.length ?? 0} characters).`);
}

main().catch((error: unknown) => {
  if (error instanceof CredentialUnavailableError) {
    console.error(`No Azure Arc agent answers on this machine: ${error.message}`);
  } else if (error instanceof AuthenticationError) {
    console.error(`The Azure Arc agent did not give a token: ${error.message}`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
});
