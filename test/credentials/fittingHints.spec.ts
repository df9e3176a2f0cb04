// The hint that ends a failure's message fits the failure and the endpoint actually used: no "run this
// inside Azure Cloud Shell" when Cloud Shell itself answered 410, no "between this process and
// 169.254.169.254" when IMDS is at another address.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import {
  AuthenticationError,
  CloudShellCredential,
  CredentialUnavailableError,
  ImdsCredential,
} from "../../src/index.js";

const SCOPE = "https://vault.azure.net/.default";
let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ sources: ["imds", "cloudshell"] });
});
afterAll(() => emulator.close());

const failure = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error as Error,
  );

describe("hints that fit", () => {
  it("Cloud Shell answering 410: a hint about the update, not 'run this inside Azure Cloud Shell'", async () => {
    emulator.setFaults({ statusSequence: [410] }, "cloudshell");
    const error = await failure(new CloudShellCredential({ endpoint: emulator.endpoints.cloudshell! }).getToken(SCOPE));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("answered 410");
    expect(error.message).toContain("back within about 70 seconds");
    expect(error.message).not.toContain("Run this inside Azure Cloud Shell");
  });

  it("Cloud Shell not there at all: then the hint says where to run it", async () => {
    const error = await failure(
      new CloudShellCredential({ endpoint: "http://127.0.0.1:1/oauth2/token" }).getToken(SCOPE),
    );
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error.message).toContain("Run this inside Azure Cloud Shell");
  });

  it("IMDS at a custom endpoint: the hint names that host, not 169.254.169.254", async () => {
    const host = new URL(emulator.endpoints.imds!).host;
    const error = await failure(
      new ImdsCredential({
        endpoint: emulator.endpoints.imds!,
        clientId: "00000000-0000-0000-0000-00000000dead",
      }).getToken(SCOPE),
    );
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error.message).toContain(`between this process and ${host}`);
    expect(error.message).not.toContain("169.254.169.254");
  });
});
