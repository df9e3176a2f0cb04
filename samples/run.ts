/**
 * Runs a sample against the local emulator, with nothing on Azure and no configuration:
 *
 *   npm run sample -- keyVaultArc        (or keyVaultImds, keyVaultChain, storageBlob)
 *
 * It starts the emulator in this process (loopback ports only), hands the sample's `main` the emulator's
 * endpoint, token folder or environment and its Key Vault's certificate, prints what the sample got, and
 * closes the emulator. On an Azure host, run the sample itself instead (each file's comment says how).
 */
import { pathToFileURL } from "node:url";
import { emulatedKeyVaultClientOptions, type Emulator, startEmulator } from "../src/emulator/index.js";
import { ImdsCredential } from "../src/index.js";
import { main as keyVaultArc } from "./keyVaultArc.js";
import { main as keyVaultChain } from "./keyVaultChain.js";
import { main as keyVaultImds } from "./keyVaultImds.js";
import { main as storageBlob } from "./storageBlob.js";

/** The secret the emulated vault holds, as the samples ask for it by default. */
const SECRET_NAME = "db-password";

/** What the keyVault samples print: never the secret's value, only that it arrived. */
function describeSecret(secret: { name: string; value?: string | undefined }): string {
  return `Read the secret '${secret.name}' (${secret.value?.length ?? 0} characters).`;
}

/** The samples' names: every file in samples/ but this one (a test checks it). */
export type SampleName = "keyVaultArc" | "keyVaultChain" | "keyVaultImds" | "storageBlob";

/** Each sample against the emulator: what it prints. A `Record`, so that a new sample must get its entry. */
export const SAMPLES: Record<SampleName, (emulator: Emulator) => Promise<string>> = {
  keyVaultImds: async (emulator) =>
    describeSecret(
      await keyVaultImds({
        vaultUrl: emulator.keyVaultUrl,
        secretName: SECRET_NAME,
        endpoint: emulator.endpoints.imds,
        clientOptions: emulatedKeyVaultClientOptions(emulator.ca),
      }),
    ),
  keyVaultArc: async (emulator) =>
    describeSecret(
      await keyVaultArc({
        vaultUrl: emulator.keyVaultUrl,
        secretName: SECRET_NAME,
        endpoint: emulator.endpoints.arc,
        tokenFolder: emulator.tokenFolder,
        clientOptions: emulatedKeyVaultClientOptions(emulator.ca),
      }),
    ),
  keyVaultChain: async (emulator) =>
    describeSecret(
      await keyVaultChain({
        vaultUrl: emulator.keyVaultUrl,
        secretName: SECRET_NAME,
        // The environment an Azure VM gives (IMDS), in place of process.env; no Arc agent looked for on this
        // machine, so that the emulator's IMDS answers even where an agent is installed.
        managedIdentity: { env: emulator.env.imds ?? {}, arcAgentPath: "/nonexistent/azcmagent/bin/himds" },
        clientOptions: emulatedKeyVaultClientOptions(emulator.ca),
      }),
    ),
  storageBlob: async (emulator) => {
    // The emulator serves no Blob service: the client is built, and asks its credential for the token a
    // request would carry.
    const credential = new ImdsCredential({ endpoint: emulator.endpoints.imds });
    const client = storageBlob("https://myaccount.blob.core.windows.net", credential);
    const token = await credential.getToken("https://storage.azure.com/.default");
    const expires = new Date(token!.expiresOnTimestamp).toISOString();
    return `BlobServiceClient for '${client.accountName}': a Storage token from the emulated IMDS, valid until ${expires} (the emulator serves no Blob service, so no containers are listed).`;
  },
};

/** Whether `name` is a sample's name. */
export function isSampleName(name: string | undefined): name is SampleName {
  return name !== undefined && Object.hasOwn(SAMPLES, name);
}

/** Starts the emulator, runs one sample against it, closes the emulator; what the sample printed. */
export async function runSample(name: SampleName): Promise<string> {
  const emulator = await startEmulator({ secrets: { [SECRET_NAME]: "correct horse battery staple" } });
  try {
    return await SAMPLES[name](emulator);
  } finally {
    await emulator.close();
  }
}

// npm run sample -- <name>
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const name = process.argv[2];
  if (!isSampleName(name)) {
    console.error(`Usage: npm run sample -- <name>, where <name> is one of ${Object.keys(SAMPLES).join(", ")}.`);
    process.exitCode = 2;
  } else {
    runSample(name).then(
      (printed) => console.log(`${name}: ${printed}`),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  }
}
