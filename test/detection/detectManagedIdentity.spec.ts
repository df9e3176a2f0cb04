import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultArcAgentPath } from "../../src/sources/arc/arcAgent.js";
import { detectManagedIdentity } from "../../src/index.js";
import { startTokenServer } from "../helpers/tokenServer.js";

const THUMBPRINT = "A1:B2:C3:D4:E5:F6:A7:B8:C9:D0:E1:F2:A3:B4:C5:D6:E7:F8:A9:B0";
const SERVICE_FABRIC = {
  IDENTITY_ENDPOINT: "https://127.0.0.1:2377/metadata/identity/oauth2/token",
  IDENTITY_HEADER: "h",
  IDENTITY_SERVER_THUMBPRINT: THUMBPRINT,
};
const APP_SERVICE = { IDENTITY_ENDPOINT: "http://127.0.0.1:41741/msi/token", IDENTITY_HEADER: "h" };
const AZURE_ML = { MSI_ENDPOINT: "http://127.0.0.1:46808/MSI/auth", MSI_SECRET: "s" };
const CLOUD_SHELL = { MSI_ENDPOINT: "http://localhost:50342/oauth2/token" };
const ARC = {
  IDENTITY_ENDPOINT: "http://127.0.0.1:40342/metadata/identity/oauth2/token",
  IMDS_ENDPOINT: "http://127.0.0.1:40342",
};
const WORKLOAD = {
  AZURE_FEDERATED_TOKEN_FILE: "/var/run/secrets/azure/tokens/azure-identity-token",
  AZURE_CLIENT_ID: "c",
  AZURE_TENANT_ID: "t",
};

describe("detectManagedIdentity", () => {
  let dir: string;
  let noAgent: string;
  let agent: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "mi-detect-"));
    noAgent = path.join(dir, "not-installed", "himds");
    agent = path.join(dir, "himds");
    writeFileSync(agent, "");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const detect = (env: NodeJS.ProcessEnv, arcAgentPath = noAgent) =>
    detectManagedIdentity({ env, arcAgentPath, probe: false });

  describe("the environment matrix, in the order Service Fabric, App Service, Azure ML, Cloud Shell, Arc, workload identity, IMDS", () => {
    it.each<[string, NodeJS.ProcessEnv, string]>([
      ["nothing set", {}, "imds"],
      ["Service Fabric's three variables", SERVICE_FABRIC, "servicefabric"],
      ["Service Fabric's and Azure ML's", { ...AZURE_ML, ...SERVICE_FABRIC }, "servicefabric"],
      ["Service Fabric's and workload identity's", { ...WORKLOAD, ...SERVICE_FABRIC }, "servicefabric"],
      ["IDENTITY_ENDPOINT and IDENTITY_HEADER", APP_SERVICE, "appservice"],
      [
        "App Service's with an empty IDENTITY_SERVER_THUMBPRINT",
        { ...APP_SERVICE, IDENTITY_SERVER_THUMBPRINT: "" },
        "appservice",
      ],
      [
        "App Service's with IMDS_ENDPOINT too",
        { ...APP_SERVICE, IMDS_ENDPOINT: "http://127.0.0.1:40342" },
        "appservice",
      ],
      ["App Service's and Azure ML's", { ...AZURE_ML, ...APP_SERVICE }, "appservice"],
      ["MSI_ENDPOINT and MSI_SECRET", AZURE_ML, "azureml"],
      ["Azure ML's and Arc's", { ...ARC, ...AZURE_ML }, "azureml"],
      ["MSI_ENDPOINT alone", CLOUD_SHELL, "cloudshell"],
      ["MSI_ENDPOINT with an empty MSI_SECRET", { ...CLOUD_SHELL, MSI_SECRET: "" }, "cloudshell"],
      ["MSI_ENDPOINT with a blank MSI_SECRET", { ...CLOUD_SHELL, MSI_SECRET: "  " }, "cloudshell"],
      ["Cloud Shell's and workload identity's", { ...WORKLOAD, ...CLOUD_SHELL }, "cloudshell"],
      ["IDENTITY_ENDPOINT and IMDS_ENDPOINT", ARC, "arc"],
      ["Arc's and workload identity's", { ...WORKLOAD, ...ARC }, "arc"],
      ["IDENTITY_ENDPOINT alone", { IDENTITY_ENDPOINT: ARC.IDENTITY_ENDPOINT }, "imds"],
      ["IDENTITY_HEADER alone", { IDENTITY_HEADER: "h" }, "imds"],
      ["IDENTITY_ENDPOINT with an empty IDENTITY_HEADER", { ...APP_SERVICE, IDENTITY_HEADER: "" }, "imds"],
      ["MSI_SECRET alone", { MSI_SECRET: "s" }, "imds"],
      ["workload identity's three variables", WORKLOAD, "workloadidentity"],
      ["workload identity's without AZURE_TENANT_ID", { ...WORKLOAD, AZURE_TENANT_ID: "" }, "imds"],
      [
        "workload identity's without AZURE_FEDERATED_TOKEN_FILE",
        { ...WORKLOAD, AZURE_FEDERATED_TOKEN_FILE: undefined },
        "imds",
      ],
      ["AZURE_POD_IDENTITY_AUTHORITY_HOST", { AZURE_POD_IDENTITY_AUTHORITY_HOST: "http://127.0.0.1:2579" }, "imds"],
    ])("%s → %s", async (_name, env, expected) => {
      expect((await detect(env)).source).toBe(expected);
    });
  });

  it("names the endpoint each source would use", async () => {
    expect(await detect(SERVICE_FABRIC)).toMatchObject({ endpoint: SERVICE_FABRIC.IDENTITY_ENDPOINT });
    expect(await detect(APP_SERVICE)).toMatchObject({ endpoint: APP_SERVICE.IDENTITY_ENDPOINT });
    expect(await detect(AZURE_ML)).toMatchObject({ endpoint: AZURE_ML.MSI_ENDPOINT });
    expect(await detect(CLOUD_SHELL)).toMatchObject({ endpoint: CLOUD_SHELL.MSI_ENDPOINT });
    expect(await detect(ARC)).toMatchObject({ endpoint: ARC.IDENTITY_ENDPOINT });
    expect(await detect(WORKLOAD)).toMatchObject({ endpoint: "https://login.microsoftonline.com/t/oauth2/v2.0/token" });
    expect(await detect({})).toMatchObject({ endpoint: "http://169.254.169.254/metadata/identity/oauth2/token" });
    expect(await detect({ AZURE_POD_IDENTITY_AUTHORITY_HOST: "http://127.0.0.1:2579" })).toMatchObject({
      endpoint: "http://127.0.0.1:2579/metadata/identity/oauth2/token",
    });
  });

  it("gives the variables that selected the source as the reason", async () => {
    expect((await detect(APP_SERVICE)).reason).toBe("App Service: IDENTITY_ENDPOINT and IDENTITY_HEADER are set.");
    expect((await detect(CLOUD_SHELL)).reason).toBe("Cloud Shell: MSI_ENDPOINT is set.");
  });

  it("reports a source whose endpoint is malformed, with the problem", async () => {
    const detection = await detect({ ...SERVICE_FABRIC, IDENTITY_ENDPOINT: "http://127.0.0.1:2377/token" });
    expect(detection.source).toBe("servicefabric");
    expect(detection.endpoint).toBeUndefined();
    expect(detection.reason).toMatch(/unusable: IDENTITY_ENDPOINT must be an https URL/);
    // Tools read the field, never the reason's words.
    expect(detection.unusable).toMatch(/^IDENTITY_ENDPOINT must be an https URL/);
  });

  it("has no unusable field when the endpoint is fine, and lists what it passed over before the source found", async () => {
    const detection = await detect(CLOUD_SHELL);
    expect(detection.unusable).toBeUndefined();
    expect(detection.checked).toEqual([
      { source: "servicefabric", detail: "IDENTITY_ENDPOINT, IDENTITY_HEADER and IDENTITY_SERVER_THUMBPRINT not set" },
      { source: "appservice", detail: "IDENTITY_ENDPOINT and IDENTITY_HEADER not set" },
      { source: "azureml", detail: "MSI_SECRET not set" },
    ]);
    expect((await detect(SERVICE_FABRIC)).checked).toEqual([]);
  });

  describe("the Arc agent file", () => {
    it("selects Arc when the agent is installed, with the agent's default endpoint", async () => {
      const detection = await detect({}, agent);
      expect(detection).toEqual({
        source: "arc",
        endpoint: "http://127.0.0.1:40342/metadata/identity/oauth2/token",
        reason: `Azure Arc: the Azure Connected Machine agent is installed (${agent}).`,
        checked: [
          {
            source: "servicefabric",
            detail: "IDENTITY_ENDPOINT, IDENTITY_HEADER and IDENTITY_SERVER_THUMBPRINT not set",
          },
          { source: "appservice", detail: "IDENTITY_ENDPOINT and IDENTITY_HEADER not set" },
          { source: "azureml", detail: "MSI_ENDPOINT and MSI_SECRET not set" },
          { source: "cloudshell", detail: "MSI_ENDPOINT not set" },
        ],
      });
    });

    it("comes after Service Fabric, App Service, Azure ML and Cloud Shell and before workload identity", async () => {
      expect((await detect(APP_SERVICE, agent)).source).toBe("appservice");
      expect((await detect(CLOUD_SHELL, agent)).source).toBe("cloudshell");
      expect((await detect(WORKLOAD, agent)).source).toBe("arc");
    });

    it("does not count a folder at the agent's path", async () => {
      expect((await detect({}, dir)).source).toBe("imds");
    });

    it("is /opt/azcmagent/bin/himds on Linux and under %ProgramFiles% on Windows", () => {
      expect(defaultArcAgentPath("linux", {})).toBe("/opt/azcmagent/bin/himds");
      expect(defaultArcAgentPath("win32", { ProgramFiles: "D:\\Programs" })).toBe(
        "D:\\Programs\\AzureConnectedMachineAgent\\himds.exe",
      );
      expect(defaultArcAgentPath("win32", {})).toBe("C:\\Program Files\\AzureConnectedMachineAgent\\himds.exe");
    });
  });

  describe("with the IMDS probe", () => {
    it("is IMDS when the probe gets an answer", async () => {
      const imds = await startTokenServer(() => ({
        status: 400,
        body: { error: "invalid_request", error_description: "Required metadata header not specified" },
      }));
      try {
        const detection = await detectManagedIdentity({
          env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.origin },
          arcAgentPath: noAgent,
        });
        expect(detection.source).toBe("imds");
        expect(detection.reason).toMatch(/^IMDS: .* answered the probe with 400; nothing else matched/);
      } finally {
        await imds.close();
      }
    });

    it("is none, with a reason that lists everything checked, when nothing answers", async () => {
      const gone = await startTokenServer(() => undefined);
      const origin = gone.origin;
      await gone.close();

      const detection = await detectManagedIdentity({
        env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin, IDENTITY_ENDPOINT: "http://127.0.0.1:1/x", MSI_SECRET: "s" },
        arcAgentPath: noAgent,
      });

      expect(detection.source).toBe("none");
      expect(detection.endpoint).toBeUndefined();
      expect(detection.reason).toBe(
        "No managed identity found on this machine. Checked:\n" +
          "  Service Fabric (IDENTITY_HEADER and IDENTITY_SERVER_THUMBPRINT not set)\n" +
          "  App Service (IDENTITY_HEADER not set)\n" +
          "  Azure ML (MSI_ENDPOINT not set)\n" +
          "  Cloud Shell (MSI_ENDPOINT not set)\n" +
          `  Azure Arc (IMDS_ENDPOINT not set, no agent at ${noAgent})\n` +
          "  Workload identity (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID not set)\n" +
          `  IMDS (nothing answers at ${origin}/metadata/identity/oauth2/token: connect ECONNREFUSED ${origin.slice("http://".length)} (ECONNREFUSED))`,
      );
      // The same, as fields.
      expect(detection.checked.map((check) => check.source)).toEqual([
        "servicefabric",
        "appservice",
        "azureml",
        "cloudshell",
        "arc",
        "workloadidentity",
        "imds",
      ]);
      expect(detection.checked[1]).toEqual({ source: "appservice", detail: "IDENTITY_HEADER not set" });
      expect(detection.checked.at(-1)?.detail).toMatch(/^nothing answers at .*\(ECONNREFUSED\)$/);
    });
  });
});
