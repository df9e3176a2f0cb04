/**
 * A DefaultAzureCredential-style chain: this machine's managed identity first, whatever the host
 * (App Service, Functions, Container Apps, Service Fabric, Azure ML, Cloud Shell, Azure Arc, AKS
 * workload identity, a VM), then the developer's Azure CLI login — and nothing in between.
 *
 * Unlike DefaultAzureCredential, the chain falls through to the developer credential only when the
 * machine has no managed identity (CredentialUnavailableError, found within a second). When it has
 * one that fails, the AuthenticationError stops the chain: a production service never silently runs
 * as a developer.
 *
 * To run it, from a clone of this repository: `npm ci`, then
 *   KEY_VAULT_URL=https://<vault>.vault.azure.net SECRET_NAME=<secret> npx tsx samples/chain.ts
 * on an Azure host with a managed identity that may read the vault's secrets, or on a laptop after
 * `az login` (the Azure CLI login is used when no managed identity is found).
 *
 * In your own code, import from "azure-managed-identity" rather than "../src/index.js".
 */
import { AzureCliCredential, ChainedTokenCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { AuthenticationError, detectManagedIdentity, ManagedIdentityChainCredential } from "../src/index.js";

async function main(): Promise<void> {
  const vaultUrl = process.env["KEY_VAULT_URL"];
  if (!vaultUrl) {
    console.error("Set KEY_VAULT_URL to the vault's URL, such as https://myvault.vault.azure.net (and SECRET_NAME to the secret's name).");
    process.exitCode = 2;
    return;
  }
  const secretName = process.env["SECRET_NAME"] || "db-password";

  // For diagnostics only: what the chain will find, and why. The chain runs the same detection itself.
  const { source, endpoint, reason } = await detectManagedIdentity();
  console.log(`Managed identity: ${source}${endpoint ? ` at ${endpoint}` : ""}. ${reason}`);

  const credential = new ChainedTokenCredential(
    // For a user-assigned identity: new ManagedIdentityChainCredential({ clientId: "<its client id>" }).
    new ManagedIdentityChainCredential(),
    new AzureCliCredential(),
  );
  const client = new SecretClient(vaultUrl, credential);
  const secret = await client.getSecret(secretName);

  // Never print a secret's value: its version and length show that it arrived.
  console.log(`Read the secret '${secret.name}' (version ${secret.properties.version}, ${secret.value?.length ?? 0} characters).`);
}

main().catch((error: unknown) => {
  if (error instanceof AuthenticationError) {
    console.error(`This machine's managed identity is there but did not give a token; the chain stopped there: ${error.message}`);
  } else {
    // Among them @azure/identity's AggregateAuthenticationError: no managed identity and no Azure CLI login.
    console.error(error);
  }
  process.exitCode = 1;
});
