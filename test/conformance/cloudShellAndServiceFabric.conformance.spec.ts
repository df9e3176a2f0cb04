// Cloud Shell and Service Fabric, as other teams' suites pin them down, on loopback endpoints (Service
// Fabric's over TLS with a self-signed certificate, as a cluster's is).
// Draws on:
// - Azure/azure-sdk-for-python, sdk/identity/azure-identity/tests/test_managed_identity.py (test_cloud_shell);
// - AzureAD/microsoft-authentication-library-for-go, apps/managedidentity/managedidentity_test.go
//   (TestCloudShellAcquireTokenReturnsTokenSuccess, TestRefreshInMultipleRequests) and servicefabric_test.go
//   (TestServiceFabricAcquireTokenWithPinnedCertificate, TestServiceFabricRejectsMismatchedCertificateBeforeRequest);
// - AzureAD/microsoft-authentication-library-for-dotnet, tests/Microsoft.Identity.Test.Unit/ManagedIdentityTests/
//   ManagedIdentityTests.cs with MockHelpers.GetMsiErrorResponse(CloudShell);
// - AzureAD/microsoft-authentication-library-for-python, tests/test_mi.py (ServiceFabricTestCase).
// Service Fabric's api-version 2020-05-01 and its principalId parameter are MSAL.NET's (src ServiceFabricManagedIdentitySource.cs,
// ServiceFabricMsiApiVersion; tests ServiceFabricSendsPrincipalIdForObjectIdAsync); Python azure-identity's test_service_fabric
// and MSAL-Go still send 2019-07-01-preview, which takes no identity parameter.
import { X509Certificate } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthenticationError, CloudShellCredential, ServiceFabricCredential } from "../../src/index.js";
import { makeSelfSignedCertificate } from "../helpers/selfSignedCertificate.js";
import {
  type Answer,
  type SeenRequest,
  startTokenServer,
  tokenAnswer,
  type TokenServer,
} from "../helpers/tokenServer.js";
import { atRecordingTime, rejection, secondsFromNow } from "./helpers.js";

const MANAGEMENT = "https://management.azure.com/.default";
const SF_SECRET = "secret";

let server: TokenServer | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe("Cloud Shell", () => {
  it("POSTs the form resource=R with Metadata: true to MSI_ENDPOINT (Python test_cloud_shell; MSAL-Go TestCloudShellAcquireTokenReturnsTokenSuccess)", async () => {
    server = await startTokenServer(() => tokenAnswer("cloud-shell"));
    vi.stubEnv("MSI_ENDPOINT", `${server.origin}/oauth2/token`);
    const token = await new CloudShellCredential().getToken("https://resource/.default");
    expect(token.token).toBe("cloud-shell");
    const [request] = server.requests;
    expect(request!.method).toBe("POST");
    expect(request!.url.pathname).toBe("/oauth2/token");
    expect(request!.headers["metadata"]).toBe("true");
    expect(request!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({ resource: "https://resource" });
  });

  it("takes expires_on over an expires_in of 0 in the same answer (Python test_cloud_shell answers both)", async () => {
    atRecordingTime("2025-06-01T12:00:00Z");
    const expiresOn = Math.floor(Date.now() / 1000) + 3600;
    server = await startTokenServer(() => ({
      status: 200,
      body: {
        access_token: "****",
        expires_in: 0,
        expires_on: expiresOn,
        not_before: Math.floor(Date.now() / 1000),
        resource: "scope",
        token_type: "Bearer",
      },
    }));
    const token = await new CloudShellCredential({ endpoint: `${server.origin}/token` }).getToken("scope");
    expect(token.expiresOnTimestamp).toBe(expiresOn * 1000);
  });

  it("honours refresh_in, given with expires_in alone (MSAL-Go TestRefreshInMultipleRequests: expires_in 86400, refresh_in 43200)", async () => {
    atRecordingTime("2025-06-01T12:00:00Z");
    vi.spyOn(Math, "random").mockReturnValue(0);
    server = await startTokenServer(() => ({
      status: 200,
      body: { access_token: "first-token", expires_in: 86400, refresh_in: 43200, token_type: "Bearer" },
    }));
    const token = await new CloudShellCredential({ endpoint: `${server.origin}/token` }).getToken(
      "https://resource/.default",
    );
    const now = Date.parse("2025-06-01T12:00:00Z");
    expect(token.expiresOnTimestamp).toBe(now + 86400_000);
    expect(token.refreshAfterTimestamp).toBe(now + 43200_000);
    vi.restoreAllMocks();
  });

  it("retries a POST whose connection was reset, as Python's ManagedIdentityClient retries both GET and POST (test_managed_identity.py test_managed_identity_client_retry)", async () => {
    server = await startTokenServer((_request, { req }) => {
      if (server!.requests.length === 1) {
        req.socket.destroy();
        return undefined;
      }
      return tokenAnswer("after-reset");
    });
    const token = await new CloudShellCredential({
      endpoint: `${server.origin}/token`,
      retryOptions: { retryDelayInMs: 0 },
    }).getToken("scope");
    expect(token.token).toBe("after-reset");
    expect(server.requests).toHaveLength(2);
  });

  it("does not retry a refused connection, which Python's test_managed_identity_client_retry would: nothing listening means no Cloud Shell here, and a chain must hear it at once (DESIGN)", async () => {
    const closed = await startTokenServer(() => tokenAnswer());
    const origin = closed.origin;
    await closed.close();
    const error = await rejection(new CloudShellCredential({ endpoint: `${origin}/token` }).getToken("scope"));
    expect(error.name).toBe("CredentialUnavailableError");
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("keeps the code of Cloud Shell's nested error, { error: { code, message } } (MSAL.NET MockHelpers.GetMsiErrorResponse(CloudShell), AudienceNotSupported)", async () => {
    server = await startTokenServer(() => ({
      status: 400,
      body: {
        error: {
          code: "AudienceNotSupported",
          message:
            "Audience scope is not a supported MSI token audience.Supported audiences:https://management.core.windows.net/,https://management.azure.com/",
        },
      },
    }));
    const error = await rejection(new CloudShellCredential({ endpoint: `${server.origin}/token` }).getToken("scope"));
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 400 });
    expect(error.message).toContain("AudienceNotSupported: Audience scope is not a supported MSI token audience.");
    expect((error as AuthenticationError).errorResponse?.error).toBe("AudienceNotSupported");
  });
});

/** A loopback HTTPS endpoint with a fresh self-signed certificate, as a Service Fabric cluster has. */
async function serviceFabric(
  handler: (request: SeenRequest) => Answer,
): Promise<{ endpoint: string; thumbprint: string; requests: SeenRequest[] }> {
  const certificate = makeSelfSignedCertificate();
  const requests: SeenRequest[] = [];
  const sf = https.createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    const seen: SeenRequest = {
      method: req.method ?? "",
      url: new URL(req.url ?? "/", "https://127.0.0.1"),
      headers: req.headers,
      body: "",
    };
    requests.push(seen);
    const answer = handler(seen);
    res.writeHead(answer.status ?? 200, { "Content-Type": "application/json", ...answer.headers });
    res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => sf.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        sf.closeAllConnections();
        sf.close(() => resolve());
      }),
  );
  const { port } = sf.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}/metadata/identity/oauth2/token`,
    thumbprint: new X509Certificate(certificate.cert).fingerprint,
    requests,
  };
}

function stubServiceFabric(endpoint: string, thumbprint: string): void {
  vi.stubEnv("IDENTITY_ENDPOINT", endpoint);
  vi.stubEnv("IDENTITY_HEADER", SF_SECRET);
  vi.stubEnv("IDENTITY_SERVER_THUMBPRINT", thumbprint);
}

describe("Service Fabric", () => {
  it("sends the resource without /.default, the secret header and Accept: application/json, then serves the cache (MSAL-Go TestServiceFabricAcquireTokenWithPinnedCertificate)", async () => {
    const sf = await serviceFabric(() => tokenAnswer("sf-token"));
    stubServiceFabric(sf.endpoint, sf.thumbprint);
    const credential = new ServiceFabricCredential();
    await expect(credential.getToken(MANAGEMENT)).resolves.toMatchObject({ token: "sf-token" });
    await expect(credential.getToken(MANAGEMENT)).resolves.toMatchObject({ token: "sf-token" });
    expect(sf.requests).toHaveLength(1);
    expect(sf.requests[0]!.method).toBe("GET");
    expect(sf.requests[0]!.url.searchParams.get("resource")).toBe("https://management.azure.com");
    expect(sf.requests[0]!.headers["secret"]).toBe(SF_SECRET);
    expect(sf.requests[0]!.headers["accept"]).toBe("application/json");
  });

  it("asks api-version 2020-05-01 and sends a user-assigned objectId as principalId (MSAL.NET ServiceFabricTests.ServiceFabricSendsPrincipalIdForObjectIdAsync)", async () => {
    const sf = await serviceFabric(() => tokenAnswer("sf-uami"));
    stubServiceFabric(sf.endpoint, sf.thumbprint);
    await new ServiceFabricCredential({ objectId: "22222222-2222-2222-2222-222222222222" }).getToken(MANAGEMENT);
    expect(Object.fromEntries(sf.requests[0]!.url.searchParams)).toEqual({
      "api-version": "2020-05-01",
      resource: "https://management.azure.com",
      principalId: "22222222-2222-2222-2222-222222222222",
    });
  });

  it("keeps to the endpoint it was made with when IDENTITY_ENDPOINT changes afterwards: the secret goes nowhere else (MSAL-Go TestServiceFabricAcquireTokenWithPinnedCertificate, changedEndpoint)", async () => {
    const sf = await serviceFabric(() => tokenAnswer("sf-token"));
    stubServiceFabric(sf.endpoint, sf.thumbprint);
    const credential = new ServiceFabricCredential();
    server = await startTokenServer(() => ({ status: 500 }));
    vi.stubEnv("IDENTITY_ENDPOINT", `${server.origin}/metadata/identity/oauth2/token`);
    await expect(credential.getToken(MANAGEMENT)).resolves.toMatchObject({ token: "sf-token" });
    expect(server.requests).toHaveLength(0);
  });

  it("sends no request to a certificate whose thumbprint is not IDENTITY_SERVER_THUMBPRINT (MSAL-Go TestServiceFabricRejectsMismatchedCertificateBeforeRequest)", async () => {
    const sf = await serviceFabric(() => tokenAnswer("sf-token"));
    stubServiceFabric(sf.endpoint, "0".repeat(40));
    const error = await rejection(
      new ServiceFabricCredential({ retryOptions: { maxRetries: 0 } }).getToken(MANAGEMENT),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(sf.requests).toHaveLength(0);
  });

  it("keeps the code, the message and the correlationId of Service Fabric's nested error (msal-python ServiceFabricTestCase.test_sf_error_should_be_normalized, SecretHeaderNotFound)", async () => {
    const sf = await serviceFabric(() => ({
      status: 404,
      body: {
        error: {
          correlationId: "foo",
          code: "SecretHeaderNotFound",
          message: "Secret is not found in the request headers.",
        },
      },
    }));
    stubServiceFabric(sf.endpoint, sf.thumbprint);
    const error = await rejection(new ServiceFabricCredential().getToken("R"));
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 404 });
    expect(error.message).toContain("SecretHeaderNotFound: Secret is not found in the request headers.");
    expect(error.message).toContain("correlation ID foo");
    expect((error as AuthenticationError).errorResponse).toMatchObject({
      error: "SecretHeaderNotFound",
      correlationId: "foo",
    });
  });

  it("never takes a user-assigned client id, which msal-python silently ignores (test_unified_api_service_should_ignore_unnecessary_client_id): silently acting as another identity is what DESIGN forbids", () => {
    stubServiceFabric("https://127.0.0.1:1/token", "0".repeat(40));
    expect(() => new ServiceFabricCredential({ ["clientId" as string]: "foo" })).toThrow(
      /Service Fabric.*Nothing was sent/,
    );
  });

  it("serves a token whose expires_on is a number (msal-python ServiceFabricTestCase._test_happy_path)", async () => {
    const sf = await serviceFabric(() => ({
      status: 200,
      body: { access_token: "AT", expires_on: Number(secondsFromNow(1234)), resource: "R", token_type: "Bearer" },
    }));
    stubServiceFabric(sf.endpoint, sf.thumbprint);
    const token = await new ServiceFabricCredential().getToken("R");
    expect(token.token).toBe("AT");
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now());
  });
});
