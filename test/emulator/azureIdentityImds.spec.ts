// The reference client: @azure/identity's ManagedIdentityCredential (through msal-node) gets tokens
// from the emulated IMDS, pointed at it by AZURE_POD_IDENTITY_AUTHORITY_HOST alone. msal-node
// remembers its source for the life of the process, so each source has its own test file.
import { ManagedIdentityCredential } from "@azure/identity";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { useOnlyEnv } from "../helpers/env.js";
import { claimsOf } from "../helpers/rawRequest.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ sources: ["imds"] });
});
afterAll(() => emulator.close());
beforeEach(() => useOnlyEnv(emulator.env.imds));
afterEach(() => {
  vi.unstubAllEnvs();
});

const imdsRequests = () => emulator.requests.filter((r) => r.endpoint === "imds");

describe("@azure/identity ManagedIdentityCredential on the emulated IMDS", () => {
  it("gets a system-assigned token", async () => {
    const token = await new ManagedIdentityCredential().getToken("https://vault.azure.net/.default");
    expect(claimsOf(token.token)).toMatchObject({
      aud: "https://vault.azure.net",
      oid: emulator.identities.systemAssigned!.objectId,
    });
    // msal-node (behind @azure/identity 4.13) counts the expiry from expires_in in whole seconds at
    // receipt, so it may differ from exp by the second that ticked between issue and receipt.
    const exp = Number(claimsOf(token.token)["exp"]) * 1000;
    expect(token.expiresOnTimestamp % 1000).toBe(0);
    expect(Math.abs(token.expiresOnTimestamp - exp)).toBeLessThanOrEqual(2000);
    expect(imdsRequests().at(-1)).toMatchObject({
      outcome: 200,
      path: expect.stringContaining("resource=https%3A%2F%2Fvault.azure.net"),
    });
  });

  it("gets a user-assigned token by client id", async () => {
    const identity = emulator.identities.userAssigned[0]!;
    const token = await new ManagedIdentityCredential({ clientId: identity.clientId }).getToken(
      "https://storage.azure.com/.default",
    );
    expect(claimsOf(token.token)).toMatchObject({ aud: "https://storage.azure.com", appid: identity.clientId });
    expect(imdsRequests().at(-1)!.path).toContain(`client_id=${identity.clientId}`);
  });

  it("reports an identity the host does not have as unavailable, in IMDS's words", async () => {
    const credential = new ManagedIdentityCredential({ clientId: "00000000-0000-0000-0000-00000000dead" });
    const error = await credential.getToken("https://vault.azure.net/.default").catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "CredentialUnavailableError" });
    expect((error as Error).message).toContain("Identity not found");
  });
});
