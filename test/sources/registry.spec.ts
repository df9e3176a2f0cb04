import { describe, expect, it } from "vitest";
import { EMULATED_SOURCE_TABLE, EMULATED_SOURCES } from "../../src/emulator/emulatedSources.js";
import { startEmulator } from "../../src/emulator/index.js";
import { ARC_DEFAULT_ENDPOINT } from "../../src/sources/arc/arcSource.js";
import { CLOUD_SHELL_DEFAULT_ENDPOINT } from "../../src/sources/cloudShell.js";
import { IMDS_TOKEN_PATH } from "../../src/sources/imds.js";
import { MANAGED_IDENTITY_SOURCES, SOURCE_NAMES, SOURCE_VARIABLES, sourceByName } from "../../src/sources/index.js";

describe("the sources' registry", () => {
  it("lists every source once, in detection order, IMDS (the fallback) last", () => {
    // The order of the README's "Hosts and how a source is chosen" (and of @azure/identity's ManagedIdentityCredential:
    // Service Fabric before App Service, whose variables it sets too; Azure ML before Cloud Shell).
    expect(SOURCE_NAMES).toEqual([
      "servicefabric",
      "appservice",
      "azureml",
      "cloudshell",
      "arc",
      "workloadidentity",
      "imds",
    ]);
  });

  it("finds each source by its name", () => {
    for (const source of MANAGED_IDENTITY_SOURCES) expect(sourceByName(source.name)).toBe(source);
  });

  it("gives each source a title, its variables (those that detect it among them) and a way to detect it but the fallback", () => {
    for (const source of MANAGED_IDENTITY_SOURCES) {
      expect(source.displayName).not.toBe("");
      const names = source.variables.map((variable) => variable.name);
      for (const name of source.detectedBy ?? []) expect(names).toContain(name);
      const detects = source.detectedBy !== undefined || "detect" in source;
      expect(detects).toBe(source.name !== "imds");
    }
  });

  it("marks the header secrets as secrets, whichever source reads them", () => {
    const secrets = SOURCE_VARIABLES.filter((variable) => variable.kind === "secret").map((variable) => variable.name);
    expect(secrets.sort()).toEqual(["IDENTITY_HEADER", "MSI_SECRET"]);
    expect(new Set(SOURCE_VARIABLES.map((variable) => variable.name)).size).toBe(SOURCE_VARIABLES.length);
  });

  it("names every variable the emulator sets for a source (the emulator imports nothing from the library)", async () => {
    const emulator = await startEmulator();
    try {
      const { env } = emulator;
      expect(Object.keys(env).sort()).toEqual([...SOURCE_NAMES].sort());
      for (const [name, variables] of Object.entries(env)) {
        const source = sourceByName(name as never);
        const set = Object.keys(variables!);
        // What detection looks for, all of it; beyond that only variables the source reads (AZURE_AUTHORITY_HOST).
        for (const needed of source.detectedBy ?? source.variables.map((variable) => variable.name))
          expect(set).toContain(needed);
        for (const variable of set) expect(source.variables.map((known) => known.name)).toContain(variable);
      }
    } finally {
      await emulator.close();
    }
  });

  it("the emulator's token paths are the sources' own (the emulator spells them again: it imports nothing from the library)", () => {
    const paths = Object.fromEntries(EMULATED_SOURCE_TABLE.map((source) => [source.name, source.tokenPath]));
    expect(paths["imds"]).toBe(IMDS_TOKEN_PATH);
    // The agent's and Cloud Shell's default endpoints: the emulator serves the same path on its own port.
    expect(paths["arc"]).toBe(new URL(ARC_DEFAULT_ENDPOINT).pathname);
    expect(paths["cloudshell"]).toBe(new URL(CLOUD_SHELL_DEFAULT_ENDPOINT).pathname);
    // Workload identity's URL is an authority host, under which the library puts /{tenant}/oauth2/v2.0/token.
    expect(paths["workloadidentity"]).toBe("");
    expect(sourceByName("workloadidentity").remoteEndpoint).toBe(true);
  });

  it("the emulator gives each of its sources a title, and its own port offset beside the Key Vault's", () => {
    for (const source of EMULATED_SOURCE_TABLE) expect(source.title).toBe(sourceByName(source.name).displayName);
    const offsets = [4, ...EMULATED_SOURCE_TABLE.map((source) => source.portOffset)];
    expect(new Set(offsets).size).toBe(offsets.length);
  });

  it("the emulator serves every source of the registry, in its order", () => {
    expect([...EMULATED_SOURCES]).toEqual([...SOURCE_NAMES]);
  });
});
