/**
 * An Azure Storage `BlobServiceClient` on a managed identity: the credential goes straight into the
 * client, which asks it for `https://storage.azure.com/.default` tokens as it needs them.
 *
 * On an Azure host whose identity has a data role on the account ("Storage Blob Data Reader"), from a
 * clone of this repository: `npm ci`, then
 *   STORAGE_ACCOUNT_URL=https://<account>.blob.core.windows.net npx tsx samples/storageBlob.ts
 * which lists the account's first containers.
 *
 * In your own code, import from "azure-managed-identity" rather than "../src/index.js".
 */
import { pathToFileURL } from "node:url";
import type { TokenCredential } from "@azure/core-auth";
import { BlobServiceClient } from "@azure/storage-blob";
import { ManagedIdentityChainCredential } from "../src/index.js";

/**
 * Builds the client. Any of this package's credentials fits; the chain picks the host's own source
 * (IMDS on a VM, the agent on an Arc server, App Service's endpoint in an app, …).
 */
export function main(
  accountUrl: string,
  credential: TokenCredential = new ManagedIdentityChainCredential(),
): BlobServiceClient {
  return new BlobServiceClient(accountUrl, credential);
}

// Run directly (npx tsx samples/storageBlob.ts): list a few containers of STORAGE_ACCOUNT_URL.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const accountUrl = process.env["STORAGE_ACCOUNT_URL"];
  if (!accountUrl) {
    console.error(
      "Set STORAGE_ACCOUNT_URL to the account's blob endpoint, such as https://myaccount.blob.core.windows.net.",
    );
    process.exitCode = 2;
  } else {
    const client = main(accountUrl);
    (async () => {
      const page = await client.listContainers().byPage({ maxPageSize: 5 }).next();
      const names = page.done ? [] : page.value.containerItems.map((c) => c.name);
      console.log(`${client.accountName}: ${names.length ? names.join(", ") : "no containers"}`);
    })().catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
  }
}
