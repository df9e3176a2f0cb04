// The reference client on the emulated Cloud Shell, pointed at it by MSI_ENDPOINT alone.
import { ManagedIdentityCredential } from "@azure/identity";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { useOnlyEnv } from "../helpers/env.js";
import { claimsOf } from "../helpers/rawRequest.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ sources: ["cloudshell"] });
});
afterAll(() => emulator.close());
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("@azure/identity ManagedIdentityCredential on the emulated Cloud Shell", () => {
  it("gets the signed-in user's token with a form POST", async () => {
    useOnlyEnv(emulator.env.cloudshell);
    const token = await new ManagedIdentityCredential().getToken("https://vault.azure.net/.default");
    expect(claimsOf(token.token)).toMatchObject({
      aud: "https://vault.azure.net",
      oid: emulator.identities.cloudShellUser.objectId,
    });
    expect(emulator.requests).toEqual([
      { endpoint: "cloudshell", method: "POST", path: "/oauth2/token", outcome: 200 },
    ]);
  });
});
