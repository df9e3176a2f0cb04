// The samples, run against the emulator: what they print on an Azure host is what they do here.
import net from "node:net";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { emulatedKeyVaultClientOptions, type Emulator, startEmulator } from "../../src/emulator/index.js";
import { ImdsCredential, ManagedIdentityChainCredential } from "../../src/index.js";
import { main as keyVaultArc } from "../../samples/keyVaultArc.js";
import { main as keyVaultChain } from "../../samples/keyVaultChain.js";
import { main as keyVaultImds } from "../../samples/keyVaultImds.js";
import { main as storageBlob } from "../../samples/storageBlob.js";
import { useOnlyEnv } from "../helpers/env.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ secrets: { "db-password": "correct horse battery staple" } });
});
afterAll(() => emulator.close());
afterEach(() => {
  vi.unstubAllEnvs();
  emulator.setFaults({});
});

/** A stand-in for a developer credential: counts its calls, and gets its tokens from the emulated IMDS. */
function fallbackCredential() {
  const imds = new ImdsCredential({ endpoint: emulator.endpoints.imds });
  const calls: string[] = [];
  const credential: TokenCredential = {
    getToken: (scopes: string | string[]): Promise<AccessToken | null> => {
      calls.push(String(scopes));
      return imds.getToken(scopes);
    },
  };
  return { credential, calls };
}

/** A loopback port nobody listens on: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("samples/keyVaultImds.ts", () => {
  it("reads the secret through the emulated IMDS", async () => {
    const options = { vaultUrl: emulator.keyVaultUrl, secretName: "db-password", endpoint: emulator.endpoints.imds };
    const secret = await keyVaultImds({ ...options, clientOptions: emulatedKeyVaultClientOptions(emulator.ca) });
    expect(secret).toMatchObject({ name: "db-password", value: "correct horse battery staple" });
  });

  it("uses the user-assigned identity it is given", async () => {
    const { clientId } = emulator.identities.userAssigned[0]!;
    await keyVaultImds({
      vaultUrl: emulator.keyVaultUrl,
      secretName: "db-password",
      endpoint: emulator.endpoints.imds,
      clientId,
      clientOptions: emulatedKeyVaultClientOptions(emulator.ca),
    });
    expect(emulator.requests.filter((r) => r.endpoint === "imds").at(-1)!.path).toContain(`client_id=${clientId}`);
  });
});

describe("samples/keyVaultArc.ts", () => {
  it("reads the secret through the emulated Arc agent and its file challenge", async () => {
    const secret = await keyVaultArc({
      vaultUrl: emulator.keyVaultUrl,
      secretName: "db-password",
      endpoint: emulator.endpoints.arc,
      tokenFolder: emulator.tokenFolder,
      clientOptions: emulatedKeyVaultClientOptions(emulator.ca),
    });
    expect(secret).toMatchObject({ name: "db-password", value: "correct horse battery staple" });
    expect(emulator.requests.some((r) => r.endpoint === "arc" && r.outcome === 401)).toBe(true);
  });
});

describe("samples/keyVaultChain.ts", () => {
  const base = () => ({
    vaultUrl: emulator.keyVaultUrl,
    secretName: "db-password",
    clientOptions: emulatedKeyVaultClientOptions(emulator.ca),
  });

  it("reads the secret with the host's managed identity (the emulated Arc server), never the fallback", async () => {
    useOnlyEnv(emulator.env.arc);
    const fallback = fallbackCredential();
    const secret = await keyVaultChain({
      ...base(),
      managedIdentity: { tokenFolder: emulator.tokenFolder, arcAgentPath: "/nonexistent/himds" },
      fallback: fallback.credential,
    });
    expect(secret.value).toBe("correct horse battery staple");
    expect(fallback.calls).toEqual([]);
  });

  it("falls back when the host has no managed identity", async () => {
    useOnlyEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${await closedPort()}` });
    const fallback = fallbackCredential();
    const secret = await keyVaultChain({
      ...base(),
      managedIdentity: { arcAgentPath: "/nonexistent/himds" },
      fallback: fallback.credential,
    });
    expect(secret.value).toBe("correct horse battery staple");
    expect(fallback.calls).toEqual(["https://vault.azure.net/.default"]);
  });

  it("stops, without the fallback, when the host's managed identity fails", async () => {
    useOnlyEnv(emulator.env.cloudshell);
    emulator.setFaults({ statusSequence: [500] }, "cloudshell");
    const fallback = fallbackCredential();
    const error = await keyVaultChain({
      ...base(),
      managedIdentity: { arcAgentPath: "/nonexistent/himds", retryOptions: { maxRetries: 0 } },
      fallback: fallback.credential,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 500 });
    expect(fallback.calls).toEqual([]);
  });
});

describe("samples/storageBlob.ts", () => {
  it("builds a BlobServiceClient on the credential it is given, or on the managed identity chain", () => {
    const credential = new ImdsCredential({ endpoint: emulator.endpoints.imds });
    const client = storageBlob("https://myaccount.blob.core.windows.net", credential);
    expect(client.url).toMatch(/^https:\/\/myaccount\.blob\.core\.windows\.net\/?$/);
    expect(client.accountName).toBe("myaccount");
    expect(client.credential).toBe(credential);
    expect(storageBlob("https://other.blob.core.windows.net").credential).toBeInstanceOf(
      ManagedIdentityChainCredential,
    );
  });
});
