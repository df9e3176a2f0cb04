// Issue 21 §1: every credential takes the emulator's settings in one call, without touching process.env.
// `new AppServiceCredential({ endpoint: emulator.endpoints.appservice })` used to fail ("IDENTITY_ENDPOINT and
// IDENTITY_HEADER are not both set"); `emulator.credentialOptions(source)` hands over the endpoint, the `env` that
// source reads and Arc's `tokenFolder`.
import type { TokenCredential } from "@azure/core-auth";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import {
  AppServiceCredential,
  ArcCredential,
  AzureMLCredential,
  CloudShellCredential,
  ImdsCredential,
  type ManagedIdentitySourceName,
  ServiceFabricCredential,
  WorkloadIdentityCredential,
} from "../../src/index.js";
import { SOURCE_NAMES } from "../../src/sources/index.js";

const SCOPE = "https://vault.azure.net/.default";
let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());

/** Each source's credential, constructed as the README shows it. */
const construct: Record<ManagedIdentitySourceName, () => TokenCredential> = {
  imds: () => new ImdsCredential(emulator.credentialOptions("imds")),
  arc: () => new ArcCredential(emulator.credentialOptions("arc")),
  cloudshell: () => new CloudShellCredential(emulator.credentialOptions("cloudshell")),
  appservice: () => new AppServiceCredential(emulator.credentialOptions("appservice")),
  servicefabric: () => new ServiceFabricCredential(emulator.credentialOptions("servicefabric")),
  azureml: () => new AzureMLCredential(emulator.credentialOptions("azureml")),
  workloadidentity: () => new WorkloadIdentityCredential(emulator.credentialOptions("workloadidentity")),
};

describe("emulator.credentialOptions(source)", () => {
  it("gets every source's credential a token with an empty process.env", async () => {
    for (const name of Object.keys(process.env)) vi.stubEnv(name, undefined);
    try {
      // Only vitest's own import.meta.env flags stay (stubEnv keeps them).
      expect(
        Object.keys(process.env).filter((name) => !["PROD", "DEV", "SSR", "MODE", "BASE_URL"].includes(name)),
      ).toEqual([]);
      const credentials = SOURCE_NAMES.map((source) => [source, construct[source]()] as const);
      for (const [source, credential] of credentials) {
        const token = await credential.getToken(SCOPE);
        expect(token?.token.split("."), source).toHaveLength(3);
        expect(emulator.requests.at(-1)).toMatchObject({ endpoint: source, outcome: 200 });
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("gives each source only what its credential takes: the endpoint (not workload identity's), env, Arc's token folder", () => {
    for (const source of SOURCE_NAMES) {
      const options = emulator.credentialOptions(source);
      expect(options.env).toEqual(emulator.env[source]);
      expect(Object.keys(options).sort()).toEqual(
        source === "arc"
          ? ["endpoint", "env", "tokenFolder"]
          : source === "workloadidentity"
            ? ["env"]
            : ["endpoint", "env"],
      );
    }
    expect(emulator.credentialOptions("arc").tokenFolder).toBe(emulator.tokenFolder);
    // A copy: changing it changes nothing in the emulator.
    emulator.credentialOptions("imds").env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = "http://127.0.0.2:1";
    expect(emulator.credentialOptions("imds").env).toEqual(emulator.env.imds);
  });

  it("refuses a source the emulator does not serve, saying which it serves", async () => {
    const imdsOnly = await startEmulator({ sources: ["imds"] });
    try {
      expect(() => imdsOnly.credentialOptions("arc")).toThrow(/does not serve 'arc'; it serves imds/);
    } finally {
      await imdsOnly.close();
    }
  });
});
