// Our credentials against the emulator, configured only through the environment it prints (and Arc's
// tokenFolder): what a user of the emulator does.
import { promises as fs } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import {
  AppServiceCredential,
  ArcCredential,
  AuthenticationError,
  CloudShellCredential,
  CredentialUnavailableError,
  ImdsCredential,
  ManagedIdentityChainCredential,
} from "../../src/index.js";
import { useOnlyEnv } from "../helpers/env.js";
import { claimsOf } from "../helpers/rawRequest.js";

const SCOPE = "https://vault.azure.net/.default";
let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("our credentials against the emulator", () => {
  it("ImdsCredential, from AZURE_POD_IDENTITY_AUTHORITY_HOST", async () => {
    useOnlyEnv(emulator.env.imds);
    const token = await new ImdsCredential().getToken(SCOPE);
    expect(claimsOf(token.token)).toMatchObject({
      aud: "https://vault.azure.net",
      oid: emulator.identities.systemAssigned!.objectId,
    });
    expect(token.expiresOnTimestamp).toBe(Number(claimsOf(token.token)["exp"]) * 1000);
  });

  it("ImdsCredential with a user-assigned identity by client id, object id and resource id", async () => {
    useOnlyEnv(emulator.env.imds);
    const identity = emulator.identities.userAssigned[0]!;
    for (const options of [
      { clientId: identity.clientId },
      { objectId: identity.objectId },
      { resourceId: identity.resourceId },
    ]) {
      expect(claimsOf((await new ImdsCredential(options).getToken(SCOPE)).token)["oid"]).toBe(identity.objectId);
    }
  });

  it("ImdsCredential: an identity the host does not have is 'unavailable', as IMDS's 400 means", async () => {
    useOnlyEnv(emulator.env.imds);
    const error = await new ImdsCredential({ clientId: "00000000-0000-0000-0000-00000000dead" })
      .getToken(SCOPE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect((error as Error).message).toContain("Identity not found");
  });

  it("ArcCredential, from IDENTITY_ENDPOINT and IMDS_ENDPOINT with the emulator's tokenFolder; the file is gone after", async () => {
    useOnlyEnv(emulator.env.arc);
    const token = await new ArcCredential({ tokenFolder: emulator.tokenFolder }).getToken(SCOPE);
    expect(claimsOf(token.token)["appid"]).toBe(emulator.identities.systemAssigned!.clientId);
    expect(await fs.readdir(emulator.tokenFolder!)).toEqual([]);
  });

  it("ArcCredential with a user-assigned identity, checked against the claims", async () => {
    useOnlyEnv(emulator.env.arc);
    const identity = emulator.identities.userAssigned[0]!;
    const token = await new ArcCredential({ tokenFolder: emulator.tokenFolder, clientId: identity.clientId }).getToken(
      SCOPE,
    );
    expect(claimsOf(token.token)["appid"]).toBe(identity.clientId);
  });

  it("ArcCredential refuses the challenge file when its tokenFolder is not the emulator's (the default agent folder)", async () => {
    useOnlyEnv(emulator.env.arc);
    const error = await new ArcCredential().getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain("refused to read the challenge file");
  });

  it("CloudShellCredential, from MSI_ENDPOINT", async () => {
    useOnlyEnv(emulator.env.cloudshell);
    const token = await new CloudShellCredential().getToken(SCOPE);
    expect(claimsOf(token.token)).toMatchObject({
      oid: emulator.identities.cloudShellUser.objectId,
      upn: "user@emulator.invalid",
    });
  });

  it("AppServiceCredential, from IDENTITY_ENDPOINT and IDENTITY_HEADER", async () => {
    useOnlyEnv(emulator.env.appservice);
    const identity = emulator.identities.userAssigned[0]!;
    expect(claimsOf((await new AppServiceCredential().getToken(SCOPE)).token)["oid"]).toBe(
      emulator.identities.systemAssigned!.objectId,
    );
    expect(
      claimsOf((await new AppServiceCredential({ objectId: identity.objectId }).getToken(SCOPE)).token)["oid"],
    ).toBe(identity.objectId);
  });

  it("ManagedIdentityChainCredential finds each emulated source from its environment", async () => {
    for (const [source, expected] of [
      ["imds", emulator.identities.systemAssigned!.objectId],
      ["arc", emulator.identities.systemAssigned!.objectId],
      ["cloudshell", emulator.identities.cloudShellUser.objectId],
      ["appservice", emulator.identities.systemAssigned!.objectId],
    ] as const) {
      useOnlyEnv(emulator.env[source]);
      const before = emulator.requests.filter((r) => r.endpoint === source).length;
      const credential = new ManagedIdentityChainCredential({
        tokenFolder: emulator.tokenFolder,
        arcAgentPath: "/nonexistent/himds",
      });
      expect(claimsOf((await credential.getToken(SCOPE)).token)["oid"]).toBe(expected);
      expect(emulator.requests.filter((r) => r.endpoint === source).length).toBeGreaterThan(before);
      vi.unstubAllEnvs();
    }
  });
});

describe("an old Arc agent that ignores the identity asked for", () => {
  it("makes ArcCredential fail closed instead of returning the system-assigned token", async () => {
    const old = await startEmulator({ sources: ["arc"], arc: { ignoresUserAssignedIdentity: true } });
    try {
      useOnlyEnv(old.env.arc);
      const credential = new ArcCredential({
        tokenFolder: old.tokenFolder,
        clientId: old.identities.userAssigned[0]!.clientId,
      });
      const error = await credential.getToken(SCOPE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as Error).message).toContain("appid");
    } finally {
      await old.close();
    }
  });
});
