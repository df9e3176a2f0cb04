import { describe, expect, it } from "vitest";
import { emulatorEnvironment } from "../../src/emulator/environment.js";
import { EMULATED_SOURCES } from "../../src/emulator/options.js";
import { MANAGED_IDENTITY_SOURCES, SOURCE_NAMES, SOURCE_VARIABLES, sourceByName } from "../../src/sources/index.js";

describe("the sources' registry", () => {
  it("lists every source once, in detection order, IMDS (the fallback) last", () => {
    // The order of DESIGN.md "The chain and the detector" (and of @azure/identity's ManagedIdentityCredential:
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

  it("names every variable the emulator sets for a source (the emulator imports nothing from the library)", () => {
    const env = emulatorEnvironment(
      {
        imds: "http://127.0.0.1:1/metadata/identity/oauth2/token",
        arc: "http://127.0.0.1:2/metadata/identity/oauth2/token",
        cloudshell: "http://127.0.0.1:3/oauth2/token",
        appservice: "http://127.0.0.1:4/msi/token",
        servicefabric: "https://127.0.0.1:6/metadata/identity/oauth2/token",
        azureml: "http://127.0.0.1:7/MSI/auth",
        workloadidentity: "http://127.0.0.1:8",
        keyvault: "https://127.0.0.1:5",
      },
      {
        appServiceHeader: "header",
        serviceFabricHeader: "header",
        serviceFabricThumbprint: "AB".repeat(20),
        azureMlSecret: "secret",
        workloadIdentity: { tenantId: "tenant", clientId: "client", tokenFile: "/tmp/token" },
      },
    );
    expect(Object.keys(env).sort()).toEqual([...SOURCE_NAMES].sort());
    for (const [name, variables] of Object.entries(env)) {
      const source = sourceByName(name as never);
      const set = Object.keys(variables!);
      // What detection looks for, all of it; beyond that only variables the source reads (AZURE_AUTHORITY_HOST).
      for (const needed of source.detectedBy ?? source.variables.map((variable) => variable.name))
        expect(set).toContain(needed);
      for (const variable of set) expect(source.variables.map((known) => known.name)).toContain(variable);
    }
  });

  it("the emulator serves every source of the registry, in its order", () => {
    expect([...EMULATED_SOURCES]).toEqual([...SOURCE_NAMES]);
  });
});
