// The emulator's Service Fabric, Azure ML and workload identity endpoints, driven by our real credentials
// configured only through the environment the emulator gives (what a user of the emulator does).
// Facts: Service Fabric api-version 2020-05-01 and `principalId` (AzureAD/microsoft-authentication-library-for-dotnet
// ServiceFabricManagedIdentitySource, pull request 6069); the revocation hint `xms_cc` / `token_sha256_to_refresh`
// (microsoft-authentication-library-for-js msal-node ManagedIdentityApplication); Azure ML api-version 2017-09-01
// with `secret` and `clientid` (Azure/azure-sdk-for-js identity src/credentials/managedIdentityCredential/
// msalMsiProvider / msal-node AzureMachineLearning source); workload identity's form (azure-sdk-for-js
// WorkloadIdentityCredential via ClientAssertionCredential: client_assertion + jwt-bearer at /{tenant}/oauth2/v2.0/token).
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import {
  AuthenticationError,
  AzureMLCredential,
  ManagedIdentityChainCredential,
  ServiceFabricCredential,
  WorkloadIdentityCredential,
  detectManagedIdentity,
} from "../../src/index.js";
import { useOnlyEnv } from "../helpers/env.js";
import { claimsOf } from "../helpers/rawRequest.js";

const SCOPE = "https://vault.azure.net/.default";
let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ sources: ["servicefabric", "azureml", "workloadidentity"] });
});
afterAll(() => emulator.close());
afterEach(() => {
  vi.unstubAllEnvs();
});

const lastPath = (endpoint: string): string =>
  emulator.requests.filter((record) => record.endpoint === endpoint).at(-1)?.path ?? "";

describe("the emulator's Service Fabric token service", () => {
  it("serves HTTPS with its own certificate, whose SHA-1 thumbprint is IDENTITY_SERVER_THUMBPRINT", () => {
    const env = emulator.env.servicefabric!;
    expect(Object.keys(env).sort()).toEqual(["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT"]);
    expect(env["IDENTITY_ENDPOINT"]).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    const certificate = new X509Certificate(emulator.serviceFabricCertificate!);
    expect(env["IDENTITY_SERVER_THUMBPRINT"]).toBe(certificate.fingerprint.replace(/:/g, ""));
    expect(env["IDENTITY_SERVER_THUMBPRINT"]).toMatch(/^[0-9A-F]{40}$/);
    // Not the Key Vault's certificate: the cluster's is pinned, the vault's trusted as a CA.
    expect(emulator.serviceFabricCertificate).not.toBe(emulator.ca);
  });

  it("ServiceFabricCredential gets the system-assigned identity's token with api-version 2020-05-01", async () => {
    useOnlyEnv(emulator.env.servicefabric);
    const token = await new ServiceFabricCredential().getToken(SCOPE);
    expect(claimsOf(token.token)).toMatchObject({
      aud: "https://vault.azure.net",
      oid: emulator.identities.systemAssigned!.objectId,
    });
    expect(token.expiresOnTimestamp).toBe(Number(claimsOf(token.token)["exp"]) * 1000);
    expect(lastPath("servicefabric")).toContain("api-version=2020-05-01");
  });

  it("a user-assigned identity by objectId goes as principalId and gets that identity's token", async () => {
    useOnlyEnv(emulator.env.servicefabric);
    const identity = emulator.identities.userAssigned[0]!;
    const token = await new ServiceFabricCredential({ objectId: identity.objectId }).getToken(SCOPE);
    expect(claimsOf(token.token)["oid"]).toBe(identity.objectId);
    expect(lastPath("servicefabric")).toContain(`principalId=${identity.objectId}`);
  });

  it("refuses a wrong secret header (401) and never logs the secret", async () => {
    useOnlyEnv({ ...emulator.env.servicefabric, IDENTITY_HEADER: "not-the-secret" });
    const error = await new ServiceFabricCredential().getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).statusCode).toBe(401);
    expect(emulator.requests.filter((r) => r.endpoint === "servicefabric").at(-1)?.outcome).toBe(401);
    expect(JSON.stringify(emulator.requests)).not.toContain(emulator.env.servicefabric!["IDENTITY_HEADER"]);
  });

  it("a client pinning another thumbprint refuses the certificate: no request is answered", async () => {
    const before = emulator.requests.length;
    useOnlyEnv({ ...emulator.env.servicefabric, IDENTITY_SERVER_THUMBPRINT: "AB".repeat(20) });
    await expect(new ServiceFabricCredential().getToken(SCOPE)).rejects.toThrow();
    expect(emulator.requests.length).toBe(before);
  });

  it("its request log shows the revocation hint (xms_cc, token_sha256_to_refresh) on a CAE challenge's claims", async () => {
    useOnlyEnv(emulator.env.servicefabric);
    const credential = new ServiceFabricCredential();
    const first = await credential.getToken(SCOPE);
    expect(lastPath("servicefabric")).not.toContain("xms_cc");
    const claims = JSON.stringify({ access_token: { nbf: { essential: true, value: "1" } } });
    const second = await credential.getToken(SCOPE, { claims, enableCae: true });
    const path = lastPath("servicefabric");
    expect(path).toContain("xms_cc=cp1");
    expect(path).toContain(`token_sha256_to_refresh=${createHash("sha256").update(first.token, "utf8").digest("hex")}`);
    expect(second.token).not.toBe(first.token);
  });
});

describe("the emulator's Azure ML identity endpoint", () => {
  it("AzureMLCredential from MSI_ENDPOINT and MSI_SECRET, api-version 2017-09-01", async () => {
    expect(Object.keys(emulator.env.azureml!).sort()).toEqual(["MSI_ENDPOINT", "MSI_SECRET"]);
    useOnlyEnv(emulator.env.azureml);
    const token = await new AzureMLCredential().getToken(SCOPE);
    expect(claimsOf(token.token)).toMatchObject({
      aud: "https://vault.azure.net",
      oid: emulator.identities.systemAssigned!.objectId,
    });
    expect(lastPath("azureml")).toContain("api-version=2017-09-01");
  });

  it("a user-assigned identity by client id goes as clientid", async () => {
    useOnlyEnv(emulator.env.azureml);
    const identity = emulator.identities.userAssigned[0]!;
    const token = await new AzureMLCredential({ clientId: identity.clientId }).getToken(SCOPE);
    expect(claimsOf(token.token)["appid"]).toBe(identity.clientId);
    expect(lastPath("azureml")).toContain(`clientid=${identity.clientId}`);
  });

  it("refuses a wrong MSI_SECRET (401)", async () => {
    useOnlyEnv({ ...emulator.env.azureml, MSI_SECRET: "wrong" });
    const error = await new AzureMLCredential().getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).statusCode).toBe(401);
  });
});

describe("the emulator's Microsoft Entra token endpoint for workload identity", () => {
  it("env gives a loopback authority host, the tenant, the identity's client id and a token file it wrote", () => {
    const env = emulator.env.workloadidentity!;
    expect(env["AZURE_AUTHORITY_HOST"]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env["AZURE_TENANT_ID"]).toBe(emulator.identities.tenantId);
    expect(env["AZURE_CLIENT_ID"]).toBe(emulator.identities.userAssigned[0]!.clientId);
    expect(claimsOf(readFileSync(env["AZURE_FEDERATED_TOKEN_FILE"]!, "utf8"))).toMatchObject({
      aud: "api://AzureADTokenExchange",
    });
  });

  it("WorkloadIdentityCredential exchanges the federated token at POST /{tenant}/oauth2/v2.0/token", async () => {
    useOnlyEnv(emulator.env.workloadidentity);
    const token = await new WorkloadIdentityCredential().getToken(SCOPE);
    expect(claimsOf(token.token)).toMatchObject({
      aud: "https://vault.azure.net",
      appid: emulator.identities.userAssigned[0]!.clientId,
      tid: emulator.identities.tenantId,
    });
    const record = emulator.requests.filter((r) => r.endpoint === "workloadidentity").at(-1)!;
    expect(record).toMatchObject({
      method: "POST",
      path: `/${emulator.identities.tenantId}/oauth2/v2.0/token`,
      outcome: 200,
    });
  });

  it("refuses another client id (AADSTS700016) and a federated token that is not the file's", async () => {
    useOnlyEnv({ ...emulator.env.workloadidentity, AZURE_CLIENT_ID: "00000000-0000-0000-0000-00000000dead" });
    const unknown = await new WorkloadIdentityCredential().getToken(SCOPE).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(AuthenticationError);
    expect((unknown as Error).message).toContain("AADSTS700016");
    const other = await startEmulator({ sources: ["workloadidentity"] });
    try {
      // The other emulator's token file, this emulator's endpoint and identity.
      useOnlyEnv({
        ...emulator.env.workloadidentity,
        AZURE_FEDERATED_TOKEN_FILE: other.env.workloadidentity!["AZURE_FEDERATED_TOKEN_FILE"]!,
      });
      const forged = await new WorkloadIdentityCredential().getToken(SCOPE).catch((e: unknown) => e);
      expect(forged).toBeInstanceOf(AuthenticationError);
      expect((forged as Error).message).toContain("AADSTS700213");
    } finally {
      await other.close();
    }
  });

  it("a token file it cannot write fails the start and leaves no Arc challenge folder behind", async () => {
    const tokenFolder = path.join(os.tmpdir(), `azure-mi-emulator-test-${process.pid}-${Date.now()}`);
    vi.stubEnv("TMPDIR", "/nonexistent-azure-mi-emulator-tmp");
    await expect(startEmulator({ sources: ["arc", "workloadidentity"], arc: { tokenFolder } })).rejects.toThrow(
      "ENOENT",
    );
    expect(existsSync(tokenFolder)).toBe(false);
  });

  it("removes the federated token file when it closes", async () => {
    const other = await startEmulator({ sources: ["workloadidentity"] });
    const file = other.env.workloadidentity!["AZURE_FEDERATED_TOKEN_FILE"]!;
    expect(existsSync(file)).toBe(true);
    await other.close();
    expect(existsSync(file)).toBe(false);
  });
});

describe("detection and the chain on the new sources", () => {
  it.each(["servicefabric", "azureml", "workloadidentity"] as const)("%s is detected and served", async (name) => {
    useOnlyEnv(emulator.env[name]);
    expect((await detectManagedIdentity()).source).toBe(name);
    const token = await new ManagedIdentityChainCredential().getToken(SCOPE);
    expect(claimsOf(token.token)["aud"]).toBe("https://vault.azure.net");
    expect(emulator.requests.filter((r) => r.endpoint === name).at(-1)?.outcome).toBe(200);
  });
});
