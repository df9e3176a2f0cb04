// AZURE_TOKEN_CREDENTIALS, the switch DefaultAzureCredential honours in every Azure SDK, as the chain and
// detectManagedIdentity read it from their `env`. The accepted values are @azure/identity's: its
// DefaultAzureCredential constructor (Azure/azure-sdk-for-js, sdk/identity/identity/src/credentials/
// defaultAzureCredential.ts, `validCredentialNames` and the switch on the trimmed, lower-cased value) takes
// exactly these and throws for anything else; the first test checks ours against the installed 4.14.1.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DefaultAzureCredential } from "@azure/identity";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CredentialUnavailableError, detectManagedIdentity, ManagedIdentityChainCredential } from "../../src/index.js";
import { readTokenCredentialsSetting } from "../../src/detection/azureTokenCredentials.js";
import { failure } from "../helpers/failure.js";
import { type SeenRequest, startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const NO_AGENT = "/nonexistent/azcmagent/bin/himds";
const isProbe = (request: SeenRequest): boolean => request.headers["metadata"] === undefined;

const ACCEPTED = [
  "prod",
  "dev",
  "EnvironmentCredential",
  "WorkloadIdentityCredential",
  "ManagedIdentityCredential",
  "VisualStudioCodeCredential",
  "AzureCliCredential",
  "AzurePowerShellCredential",
  "AzureDeveloperCliCredential",
];
const REFUSED = ["production", "BrokerCredential", "ChainedTokenCredential", "managed-identity", "ManagedIdentity"];

const servers: TokenServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function server(handler: Parameters<typeof startTokenServer>[0]): Promise<TokenServer> {
  const started = await startTokenServer(handler);
  servers.push(started);
  return started;
}

/** A loopback IMDS: the probe (no Metadata header) and every token request are recorded. */
async function imds(answer = () => tokenAnswer("imds-token")): Promise<TokenServer> {
  return server((request) => (isProbe(request) ? { status: 400, body: {} } : answer()));
}

describe("the accepted values", () => {
  it("are exactly @azure/identity 4.14.1's: each one it accepts we accept, each one it refuses we refuse", () => {
    for (const value of [...ACCEPTED, ...REFUSED]) {
      vi.stubEnv("AZURE_TOKEN_CREDENTIALS", value);
      let theirs = true;
      try {
        new DefaultAzureCredential();
      } catch {
        theirs = false;
      }
      let ours = true;
      try {
        readTokenCredentialsSetting({ AZURE_TOKEN_CREDENTIALS: value });
      } catch {
        ours = false;
      }
      expect({ value, accepted: ours }).toEqual({ value, accepted: theirs });
      expect({ value, accepted: ours }).toEqual({ value, accepted: ACCEPTED.includes(value) });
    }
  });

  it("are compared trimmed and in any case; empty counts as unset", () => {
    expect(readTokenCredentialsSetting({ AZURE_TOKEN_CREDENTIALS: "  MANAGEDIDENTITYCREDENTIAL " }).effect).toBe(
      "managedIdentity",
    );
    expect(readTokenCredentialsSetting({ AZURE_TOKEN_CREDENTIALS: "workloadidentitycredential" }).effect).toBe(
      "workloadIdentity",
    );
    expect(readTokenCredentialsSetting({ AZURE_TOKEN_CREDENTIALS: "Dev" }).effect).toBe("excluded");
    expect(readTokenCredentialsSetting({ AZURE_TOKEN_CREDENTIALS: "PROD" }).effect).toBe("default");
    expect(readTokenCredentialsSetting({ AZURE_TOKEN_CREDENTIALS: " " })).toEqual({
      value: undefined,
      effect: "default",
    });
  });

  it("anything else: ManagedIdentityChainCredential throws a TypeError at construction listing the allowed values", () => {
    const construct = () => new ManagedIdentityChainCredential({ env: { AZURE_TOKEN_CREDENTIALS: "production" } });
    expect(construct).toThrow(TypeError);
    expect(construct).toThrow(/AZURE_TOKEN_CREDENTIALS is 'production', which is not a valid value/);
    for (const value of ACCEPTED) expect(construct).toThrow(value);
  });

  it("anything else: detectManagedIdentity (which never throws) gives none, saying why, without a probe", async () => {
    const imdsServer = await imds();
    const detection = await detectManagedIdentity({
      env: { AZURE_TOKEN_CREDENTIALS: "production", AZURE_POD_IDENTITY_AUTHORITY_HOST: imdsServer.origin },
      arcAgentPath: NO_AGENT,
    });
    expect(detection).toMatchObject({ source: "none", endpoint: undefined });
    expect(detection.reason).toMatch(/AZURE_TOKEN_CREDENTIALS is 'production', which is not a valid value/);
    expect(imdsServer.requests).toHaveLength(0);
  });
});

describe("dev, or a credential that is not a managed identity", () => {
  it.each(["dev", "AzureCliCredential", "environmentcredential", "VisualStudioCodeCredential"])(
    "%s: the chain is unavailable at once, naming the variable, and nothing is sent even with App Service's variables set",
    async (value) => {
      const appService = await server(() => tokenAnswer("app-service-token"));
      const imdsServer = await imds();
      const env = {
        AZURE_TOKEN_CREDENTIALS: value,
        IDENTITY_ENDPOINT: `${appService.origin}/msi/token`,
        IDENTITY_HEADER: "h",
        AZURE_POD_IDENTITY_AUTHORITY_HOST: imdsServer.origin,
      };
      const chain = new ManagedIdentityChainCredential({ env, arcAgentPath: NO_AGENT });

      for (let i = 0; i < 2; i++) {
        const error = await failure(chain.getToken(SCOPE));
        expect(error).toBeInstanceOf(CredentialUnavailableError);
        expect(error.message).toContain(`AZURE_TOKEN_CREDENTIALS is '${value}', which excludes managed identity`);
        expect(error).toMatchObject({ code: "excluded" });
      }
      const detection = await detectManagedIdentity({ env, arcAgentPath: NO_AGENT });
      expect(detection.source).toBe("none");
      expect(detection.reason).toContain("which excludes managed identity");
      expect(appService.requests).toHaveLength(0);
      expect(imdsServer.requests).toHaveLength(0);
    },
  );
});

describe("ManagedIdentityCredential", () => {
  it("no IMDS probe: IMDS is used directly, so a slow IMDS (slower than the probe timeout) still gives its token", async () => {
    // Every answer takes 300 ms, six times the 50 ms probe timeout: a probe would have given up.
    const slow = await server(async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return isProbe(request) ? { status: 400, body: {} } : tokenAnswer("imds-token");
    });
    const direct = new ManagedIdentityChainCredential({
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: slow.origin, AZURE_TOKEN_CREDENTIALS: "managedidentitycredential" },
      arcAgentPath: NO_AGENT,
      probeTimeoutMs: 50,
    });
    await expect(direct.getToken(SCOPE)).resolves.toMatchObject({ token: "imds-token" });
    expect(slow.requests.filter(isProbe)).toHaveLength(0);
    expect(slow.requests).toHaveLength(1);
  });

  it("IMDS with its full retries: two 503s and a 410, then the token", async () => {
    const answers = [503, 503, 410];
    const flaky = await imds(() => {
      const status = answers.shift();
      return status === undefined ? tokenAnswer("imds-token") : { status, body: {} };
    });
    const chain = new ManagedIdentityChainCredential({
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: flaky.origin, AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential" },
      arcAgentPath: NO_AGENT,
      retryOptions: { retryDelayInMs: 1, maxRetryDelayInMs: 1 },
    });
    await expect(chain.getToken(SCOPE)).resolves.toMatchObject({ token: "imds-token" });
    expect(flaky.requests.filter(isProbe)).toHaveLength(0);
    expect(flaky.requests).toHaveLength(4);
  });

  it("the environment still comes first, and detectManagedIdentity's reason names the setting", async () => {
    const appService = await server(() => tokenAnswer("app-service-token"));
    const imdsServer = await imds();
    const env = {
      AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential",
      IDENTITY_ENDPOINT: `${appService.origin}/msi/token`,
      IDENTITY_HEADER: "h",
      AZURE_POD_IDENTITY_AUTHORITY_HOST: imdsServer.origin,
    };
    const detection = await detectManagedIdentity({ env, arcAgentPath: NO_AGENT });
    expect(detection.source).toBe("appservice");
    expect(detection.reason).toMatch(/^AZURE_TOKEN_CREDENTIALS is 'ManagedIdentityCredential': /);

    const imdsOnly = await detectManagedIdentity({
      env: {
        AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential",
        AZURE_POD_IDENTITY_AUTHORITY_HOST: imdsServer.origin,
      },
      arcAgentPath: NO_AGENT,
    });
    expect(imdsOnly.source).toBe("imds");
    expect(imdsOnly.reason).toContain("IMDS, assumed without a probe");
    expect(imdsServer.requests).toHaveLength(0);
  });
});

describe("WorkloadIdentityCredential", () => {
  function federatedTokenFile(): string {
    const dir = mkdtempSync(path.join(tmpdir(), "mi-atc-"));
    dirs.push(dir);
    const file = path.join(dir, "token");
    writeFileSync(file, "federated-token");
    return file;
  }

  it("workload identity only: chosen over App Service's variables, which are never used", async () => {
    const appService = await server(() => tokenAnswer("app-service-token"));
    const entra = await server(() => ({
      status: 200,
      body: { token_type: "Bearer", expires_in: 3600, access_token: "entra-token" },
    }));
    const chain = new ManagedIdentityChainCredential({
      env: {
        AZURE_TOKEN_CREDENTIALS: "WorkloadIdentityCredential",
        IDENTITY_ENDPOINT: `${appService.origin}/msi/token`,
        IDENTITY_HEADER: "h",
        AZURE_FEDERATED_TOKEN_FILE: federatedTokenFile(),
        AZURE_CLIENT_ID: "client",
        AZURE_TENANT_ID: "tenant",
        AZURE_AUTHORITY_HOST: entra.origin,
      },
      arcAgentPath: NO_AGENT,
    });
    await expect(chain.getToken(SCOPE)).resolves.toMatchObject({ token: "entra-token" });
    expect(appService.requests).toHaveLength(0);
    expect(entra.requests[0]!.url.pathname).toBe("/tenant/oauth2/v2.0/token");
  });

  it("its variables missing: unavailable at once, saying which and why, with nothing sent to the other sources", async () => {
    const appService = await server(() => tokenAnswer("app-service-token"));
    const imdsServer = await imds();
    const chain = new ManagedIdentityChainCredential({
      env: {
        AZURE_TOKEN_CREDENTIALS: "workloadidentitycredential",
        IDENTITY_ENDPOINT: `${appService.origin}/msi/token`,
        IDENTITY_HEADER: "h",
        AZURE_POD_IDENTITY_AUTHORITY_HOST: imdsServer.origin,
        AZURE_CLIENT_ID: "client",
      },
      arcAgentPath: NO_AGENT,
    });
    const error = await failure(chain.getToken(SCOPE));
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error.message).toContain("AZURE_TOKEN_CREDENTIALS is 'workloadidentitycredential': workload identity only");
    expect(error.message).toMatch(/AZURE_FEDERATED_TOKEN_FILE and AZURE_TENANT_ID not set/);
    expect(error.message).not.toContain("probed again");
    expect(appService.requests).toHaveLength(0);
    expect(imdsServer.requests).toHaveLength(0);
  });
});

describe("unset or prod", () => {
  it.each([undefined, "prod", "PROD"])("%s: the environment, then the IMDS probe, as before", async (value) => {
    const imdsServer = await imds();
    const env: NodeJS.ProcessEnv = { AZURE_POD_IDENTITY_AUTHORITY_HOST: imdsServer.origin };
    if (value !== undefined) env["AZURE_TOKEN_CREDENTIALS"] = value;
    const chain = new ManagedIdentityChainCredential({ env, arcAgentPath: NO_AGENT });
    await expect(chain.getToken(SCOPE)).resolves.toMatchObject({ token: "imds-token" });
    expect(imdsServer.requests.filter(isProbe)).toHaveLength(1);
  });
});
