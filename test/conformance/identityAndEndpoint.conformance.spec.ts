// Which identity is asked for, and where the request goes: the identity options, the environment,
// detection, and endpoints as peers accept them (an IPv6 loopback literal included).
// Draws on:
// - AzureAD/microsoft-authentication-library-for-go, apps/managedidentity/managedidentity_test.go
//   (TestCreatingIMDSClient, TestCloudShellOnlySystemAssignedSupported, TestAzureMLErrors, TestAzureMLAcquireTokenReturnsTokenSuccess, TestSource);
// - AzureAD/microsoft-authentication-library-for-js, lib/msal-node/test/client/ManagedIdentitySources/ManagedIdentityEndpointValidation.spec.ts;
// - AzureAD/microsoft-authentication-library-for-dotnet, tests/Microsoft.Identity.Test.Unit/ManagedIdentityTests/
//   AzureArcTests.cs (AzureArcInvalidEndpointAsync), ServiceFabricTests.cs, MachineLearningTests.cs, CloudShellTests.cs;
// - AzureAD/microsoft-authentication-library-for-python, tests/test_mi.py (GetManagedIdentitySourceTestCase).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AppServiceCredential,
  AuthenticationError,
  ArcCredential,
  AzureMLCredential,
  CloudShellCredential,
  CredentialUnavailableError,
  detectManagedIdentity,
  ImdsCredential,
  ManagedIdentityChainCredential,
  ServiceFabricCredential,
} from "../../src/index.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";
import { rejection } from "./helpers.js";

const NO_AGENT = "/nonexistent/azcmagent/bin/himds";
const MANAGEMENT = "https://management.azure.com/.default";

let server: TokenServer | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A token server on the IPv6 loopback address, `[::1]`, recording what it was asked. */
async function startIpv6TokenServer(): Promise<{ origin: string; paths: string[] }> {
  const paths: string[] = [];
  const ipv6 = http.createServer((req, res) => {
    paths.push(req.url ?? "");
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(tokenAnswer("over-ipv6").body));
  });
  await new Promise<void>((resolve) => ipv6.listen(0, "::1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        ipv6.closeAllConnections();
        ipv6.close(() => resolve());
      }),
  );
  return { origin: `http://[::1]:${(ipv6.address() as AddressInfo).port}`, paths };
}

describe("empty identity ids: a TypeError at construction naming the option, nothing sent", () => {
  // MSAL-Go TestCreatingIMDSClient: UserAssignedClientID(""), UserAssignedResourceID(""), UserAssignedObjectID("")
  // are errors at New(). An empty id must never silently become the system-assigned identity.
  it.each([
    ["clientId", ""],
    ["objectId", ""],
    ["resourceId", ""],
    ["clientId", "   "],
    ["objectId", " "],
  ])("ImdsCredential refuses %s %j", async (option, value) => {
    server = await startTokenServer(() => tokenAnswer());
    const construct = () => new ImdsCredential({ endpoint: server!.origin, [option]: value });
    expect(construct).toThrow(TypeError);
    expect(construct).toThrow(new RegExp(`\\b${option}\\b`));
    expect(construct).toThrow(/Nothing was sent/);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    [
      "AppServiceCredential",
      () => new AppServiceCredential({ endpoint: "http://127.0.0.1:1/msi/token", clientId: "" }),
    ],
    ["ArcCredential", () => new ArcCredential({ endpoint: "http://127.0.0.1:1/token", objectId: "" })],
    ["AzureMLCredential", () => new AzureMLCredential({ endpoint: "http://127.0.0.1:1/token", clientId: " " })],
    ["ManagedIdentityChainCredential", () => new ManagedIdentityChainCredential({ resourceId: "" })],
  ])("%s refuses an empty id too", (_name, construct) => {
    vi.stubEnv("IDENTITY_HEADER", "h");
    vi.stubEnv("MSI_SECRET", "s");
    expect(construct).toThrow(TypeError);
    expect(construct).toThrow(/is empty/);
  });

  it("leaves undefined as the system-assigned identity: no identity parameter is sent (MSAL-Go TestCreatingIMDSClient 'System Assigned')", async () => {
    server = await startTokenServer(() => tokenAnswer());
    await new ImdsCredential({ endpoint: server.origin, clientId: undefined }).getToken(MANAGEMENT);
    expect([...server.requests[0]!.url.searchParams.keys()].sort()).toEqual(["api-version", "resource"]);
  });

  it("still counts an empty environment variable as unset: Azure ML with DEFAULT_IDENTITY_CLIENT_ID='' sends no clientid (MSAL-Go TestAzureMLAcquireTokenReturnsTokenSuccess reads DEFAULT_IDENTITY_CLIENT_ID)", async () => {
    server = await startTokenServer(() => tokenAnswer());
    vi.stubEnv("MSI_ENDPOINT", `${server.origin}/msi/token`);
    vi.stubEnv("MSI_SECRET", "redacted");
    vi.stubEnv("DEFAULT_IDENTITY_CLIENT_ID", "");
    await new AzureMLCredential().getToken(MANAGEMENT);
    expect(server.requests[0]!.url.searchParams.has("clientid")).toBe(false);
  });
});

describe("user-assigned identities a source cannot take: a TypeError at construction, nothing sent", () => {
  it.each(["clientId", "objectId", "resourceId"])(
    "Cloud Shell refuses %s (MSAL-Go TestCloudShellOnlySystemAssignedSupported; MSAL.NET CloudShellUserAssignedManagedIdentityNotSupportedAsync)",
    async (option) => {
      server = await startTokenServer(() => tokenAnswer());
      expect(() => new CloudShellCredential({ endpoint: server!.origin, [option]: "client" })).toThrow(
        /Cloud Shell.*Nothing was sent/,
      );
      expect(server.requests).toHaveLength(0);
    },
  );

  it.each(["objectId", "resourceId"])(
    "Azure ML refuses %s: it names an identity by client id only (MSAL-Go TestAzureMLErrors; MSAL.NET MachineLearningUserAssignedNonClientIdThrowsAsync)",
    (option) => {
      vi.stubEnv("MSI_SECRET", "redacted");
      expect(() => new AzureMLCredential({ endpoint: "http://127.0.0.1:1/token", [option]: "x" })).toThrow(
        /client id only/,
      );
    },
  );

  it.each(["clientId", "resourceId"])(
    "Service Fabric refuses %s (MSAL.NET ServiceFabricTests.ServiceFabricRejectsClientIdAndResourceIdForUserAssignedAsync)",
    (option) => {
      expect(() => new ServiceFabricCredential({ [option]: "x" })).toThrow(TypeError);
    },
  );
});

describe("Azure ML: the client id (MSAL-Go TestAzureMLAcquireTokenReturnsTokenSuccess; MSAL.NET MachineLearningUserAssignedHappyPathAndHasCorrectClientIdQueryParameterAsync)", () => {
  it.each([
    ["the system-assigned identity sends DEFAULT_IDENTITY_CLIENT_ID", {}, "A"],
    ["an explicit clientId overrides it", { clientId: "B" }, "B"],
  ])("%s as clientid", async (_name, options, expected) => {
    server = await startTokenServer(() => tokenAnswer());
    vi.stubEnv("MSI_ENDPOINT", `${server.origin}/msi/token`);
    vi.stubEnv("MSI_SECRET", "redacted");
    vi.stubEnv("DEFAULT_IDENTITY_CLIENT_ID", "A");
    await new AzureMLCredential(options).getToken(MANAGEMENT);
    expect(Object.fromEntries(server.requests[0]!.url.searchParams)).toEqual({
      "api-version": "2017-09-01",
      resource: "https://management.azure.com",
      clientid: expected,
    });
  });
});

describe("detection from the environment (msal-python test_mi.py GetManagedIdentitySourceTestCase; MSAL-Go TestSource)", () => {
  it.each([
    [
      "Service Fabric's three variables",
      { IDENTITY_ENDPOINT: "https://localhost", IDENTITY_HEADER: "foo", IDENTITY_SERVER_THUMBPRINT: "bar" },
      "servicefabric",
    ],
    ["App Service's two", { IDENTITY_ENDPOINT: "http://localhost", IDENTITY_HEADER: "foo" }, "appservice"],
    ["MSI_ENDPOINT and MSI_SECRET (Azure ML)", { MSI_ENDPOINT: "http://localhost", MSI_SECRET: "foo" }, "azureml"],
    [
      "IDENTITY_ENDPOINT and IMDS_ENDPOINT (Arc)",
      { IDENTITY_ENDPOINT: "http://localhost", IMDS_ENDPOINT: "http://localhost" },
      "arc",
    ],
    ["MSI_ENDPOINT alone (Cloud Shell)", { MSI_ENDPOINT: "http://localhost:50342/oauth2/token" }, "cloudshell"],
  ])("picks the source of %s", async (_name, env, source) => {
    const detection = await detectManagedIdentity({ env, probe: false, arcAgentPath: NO_AGENT });
    expect(detection.source).toBe(source);
  });

  it("picks App Service over Azure ML when both sets of variables are there (msal-node MachineLearning.spec.ts 'ensures that App Service is selected ...')", async () => {
    const env = {
      IDENTITY_ENDPOINT: "http://localhost",
      IDENTITY_HEADER: "h",
      MSI_ENDPOINT: "http://localhost",
      MSI_SECRET: "s",
    };
    const detection = await detectManagedIdentity({ env, probe: false, arcAgentPath: NO_AGENT });
    expect(detection.source).toBe("appservice");
  });

  it("picks Arc when the himds agent is installed, even with no variables set (msal-node AzureArc.spec.ts 'the himds executable exists'; MSAL-Go TestAzureArcReturnsWhenHimdsFound)", async () => {
    const detection = await detectManagedIdentity({ env: {}, probe: false, arcAgentPath: process.execPath });
    expect(detection.source).toBe("arc");
  });

  it("does not take AZUREPS_HOST_ENVIRONMENT alone as Cloud Shell, unlike msal-python (test_cloud_shell): Cloud Shell always sets MSI_ENDPOINT, and without it there is no endpoint to name", async () => {
    const detection = await detectManagedIdentity({
      env: { AZUREPS_HOST_ENVIRONMENT: "cloud-shell-foo" },
      probe: false,
      arcAgentPath: NO_AGENT,
    });
    expect(detection.source).toBe("imds");
  });
});

describe("endpoints", () => {
  it.each([
    ["ImdsCredential", (origin: string) => new ImdsCredential({ endpoint: origin }), "/metadata/identity/oauth2/token"],
    [
      "AppServiceCredential",
      (origin: string) => new AppServiceCredential({ endpoint: `${origin}/msi/token` }),
      "/msi/token",
    ],
  ])(
    "%s reaches an IPv6 loopback endpoint, http://[::1]:port/… (msal-node ManagedIdentityEndpointValidation.spec.ts 'IPv6 loopback')",
    async (_name, credential, path) => {
      vi.stubEnv("IDENTITY_HEADER", "h");
      const { origin, paths } = await startIpv6TokenServer();
      const token = await credential(origin).getToken(MANAGEMENT);
      expect(token.token).toBe("over-ipv6");
      expect(paths).toHaveLength(1);
      expect(paths[0]!.startsWith(`${path}?`)).toBe(true);
    },
  );

  it("detects and uses IMDS moved to http://[::1]:port by AZURE_POD_IDENTITY_AUTHORITY_HOST, never as 'no managed identity here'", async () => {
    const { origin, paths } = await startIpv6TokenServer();
    const chain = new ManagedIdentityChainCredential({
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin },
      arcAgentPath: NO_AGENT,
    });
    const token = await chain.getToken(MANAGEMENT).catch((e: unknown) => e);
    expect(token).not.toBeInstanceOf(CredentialUnavailableError);
    expect(token).toMatchObject({ token: "over-ipv6" });
    // The probe, then the token request.
    expect(paths).toHaveLength(2);
  });

  // A malformed variable is the host's configuration, not the caller's mistake (issue 21: a TypeError made the
  // command line say "usage error"): AuthenticationError "misconfigured" at getToken, nothing sent.
  it("refuses IDENTITY_ENDPOINT 'localhost/token', which is no URL, with an error naming the variable (MSAL.NET AzureArcInvalidEndpointAsync, ServiceFabricInvalidEndpointAsync)", async () => {
    vi.stubEnv("IDENTITY_ENDPOINT", "localhost/token");
    const error = await rejection(new ArcCredential().getToken(MANAGEMENT));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ code: "misconfigured" });
    expect(error.message).toMatch(/IDENTITY_ENDPOINT.*localhost\/token/);
  });

  it("reports a refused loopback endpoint as no managed identity here, at once (MSAL.NET ManagedIdentityUnreachableNetworkAsync)", async () => {
    const closed = await startTokenServer(() => tokenAnswer());
    const origin = closed.origin;
    await closed.close();
    const error = await rejection(new ImdsCredential({ endpoint: origin }).getToken(MANAGEMENT));
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error.message).toContain("ECONNREFUSED");
  });
});
