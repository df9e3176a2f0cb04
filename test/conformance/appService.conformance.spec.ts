// App Service (2019-08-01, IDENTITY_ENDPOINT + IDENTITY_HEADER) and its predecessor 2017-09-01
// (MSI_ENDPOINT + MSI_SECRET, which this package serves with AzureMLCredential: same request, same
// answer format), as other teams' suites pin them down, on a loopback endpoint.
// Draws on:
// - Azure/azure-sdk-for-python, sdk/identity/azure-identity/tests/recordings/test_app_service.test_system_assigned.yaml,
//   test_app_service_async.test_user_assigned_tenant_id.yaml, and tests/test_managed_identity.py
//   (test_app_service_2017_09_01);
// - AzureAD/microsoft-authentication-library-for-js, lib/msal-node/test/client/ManagedIdentitySources/AppService.spec.ts,
//   DefaultManagedIdentityRetryPolicy.spec.ts and test/test_kit/StringConstants.ts;
// - AzureAD/microsoft-authentication-library-for-go, apps/managedidentity/managedidentity_test.go;
// - AzureAD/microsoft-authentication-library-for-dotnet, tests/Microsoft.Identity.Test.Unit/ManagedIdentityTests/ManagedIdentityTests.cs;
// - AzureAD/microsoft-authentication-library-for-python, tests/test_mi.py (AppServiceTestCase).
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AppServiceCredential,
  AuthenticationError,
  AzureMLCredential,
  ManagedIdentityChainCredential,
} from "../../src/index.js";
import { FAKE_START, settleWithFakeClock, useFakeClock } from "../helpers/fakeClock.js";
import { type Answer, startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";
import { tryRecorder } from "../helpers/tryRecorder.js";
import { atRecordingTime, rejection, secondsFromNow } from "./helpers.js";

const SECRET = "fake_IDENTITY_HEADER";
const NO_AGENT = "/nonexistent/azcmagent/bin/himds";
const NO_DELAY = { retryDelayInMs: 0 };
const MANAGEMENT = "https://management.azure.com/.default";

let server: TokenServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

/** A loopback App Service endpoint; IDENTITY_ENDPOINT and IDENTITY_HEADER point at it. */
async function appService(handler: Parameters<typeof startTokenServer>[0]): Promise<TokenServer> {
  server = await startTokenServer(handler);
  vi.stubEnv("IDENTITY_ENDPOINT", `${server.origin}/msi/token`);
  vi.stubEnv("IDENTITY_HEADER", SECRET);
  return server;
}

/** A loopback 2017-09-01 endpoint; MSI_ENDPOINT and MSI_SECRET point at it. */
async function appService2017(handler: Parameters<typeof startTokenServer>[0]): Promise<TokenServer> {
  server = await startTokenServer(handler);
  vi.stubEnv("MSI_ENDPOINT", `${server.origin}/msi/token`);
  vi.stubEnv("MSI_SECRET", "redacted");
  return server;
}

describe("App Service 2019-08-01: the request", () => {
  it("is GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=R (no /.default) with X-IDENTITY-HEADER (MSAL-Go TestAppServiceAcquireTokenReturnsTokenSuccess; msal-python AppServiceTestCase)", async () => {
    const { requests } = await appService(() => tokenAnswer());
    await new AppServiceCredential().getToken(MANAGEMENT);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.method).toBe("GET");
    expect(requests[0]!.url.pathname).toBe("/msi/token");
    expect(Object.fromEntries(requests[0]!.url.searchParams)).toEqual({
      "api-version": "2019-08-01",
      resource: "https://management.azure.com",
    });
    expect(requests[0]!.headers["x-identity-header"]).toBe(SECRET);
  });

  it.each([
    // Python recording test_app_service_async.test_user_assigned_tenant_id.yaml: ...&client_id=client-id
    ["clientId", "client_id", "client-id"],
    // MSAL-Go TestAppServiceAcquireTokenReturnsTokenSuccess (UserAssignedObjectID) and MSAL.NET UAMIHappyPathAsync
    // (AppService, ObjectId) send object_id; principal_id is only the service's alias.
    ["objectId", "object_id", "22222222-2222-2222-2222-222222222222"],
    // msal-python test_app_service_resource_id_parameter_should_be_mi_res_id; msal-node "acquires a User Assigned Resource Id token"
    ["resourceId", "mi_res_id", "1234"],
  ])("names a user-assigned identity by %s as %s", async (option, parameter, value) => {
    const { requests } = await appService(() => tokenAnswer());
    await new AppServiceCredential({ [option]: value }).getToken(MANAGEMENT);
    const query = Object.fromEntries(requests[0]!.url.searchParams);
    expect(query).toEqual({
      "api-version": "2019-08-01",
      resource: "https://management.azure.com",
      [parameter]: value,
    });
    expect(query["principal_id"]).toBeUndefined();
  });

  it("accepts a tenantId and sends nothing of it: a managed identity has one tenant (Python recordings test_app_service*.test_*_tenant_id.yaml)", async () => {
    const { requests } = await appService(() => tokenAnswer("tenant-ignored"));
    const token = await new AppServiceCredential().getToken(MANAGEMENT, { tenantId: "tenant_id" });
    expect(token.token).toBe("tenant-ignored");
    expect(requests[0]!.url.search).not.toContain("tenant");
  });
});

describe("App Service: answers", () => {
  it("takes 202 with a token as success, as MSAL-Go does (Test_RetryPolicy_For_AcquireToken answers StatusAccepted)", async () => {
    await appService(() => ({ ...tokenAnswer("accepted"), status: 202 }));
    await expect(new AppServiceCredential().getToken(MANAGEMENT)).resolves.toMatchObject({ token: "accepted" });
  });

  it("reads an ISO-8601 expires_on with seven fraction digits, .NET's round-trip format (MSAL.NET ManagedIdentityExpiresOnTestAsync, useIsoFormat)", async () => {
    atRecordingTime("2025-06-01T12:00:00Z");
    await appService(() => ({
      status: 200,
      body: { access_token: "iso", expires_on: "2025-06-01T15:00:00.1234567Z", token_type: "Bearer" },
    }));
    const token = await new AppServiceCredential().getToken(MANAGEMENT);
    expect(token.expiresOnTimestamp).toBe(Date.parse("2025-06-01T15:00:00.123Z"));
  });

  it("refuses a token that expires now, as an AuthenticationError (MSAL.NET ManagedIdentityInvalidRefreshOnThrowsAsync, GetMsiSuccessfulResponse(0))", async () => {
    await appService(() => ({
      status: 200,
      body: { access_token: "stale", expires_on: secondsFromNow(0), token_type: "Bearer" },
    }));
    const error = await rejection(new AppServiceCredential().getToken(MANAGEMENT));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("already expired");
  });

  it("refuses a 200 with an empty body as not a token (MSAL.NET ManagedIdentityNullResponseAsync)", async () => {
    await appService(() => ({ status: 200, body: "" }));
    const error = await rejection(new AppServiceCredential().getToken(MANAGEMENT));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/not a token: the body is empty/);
  });

  it("reads a token whose body arrives slowly after a retried 500 (MSAL-Go TestRetrySlowBodyDoesNotCancelContext)", async () => {
    const body = JSON.stringify({ access_token: "slow", expires_on: secondsFromNow(3600), token_type: "Bearer" });
    const { requests } = await appService((_request, { res }) => {
      if (requests.length === 1) return { status: 500 };
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)) });
      res.write(body.slice(0, 1));
      setTimeout(() => res.end(body.slice(1)), 50);
      return undefined;
    });
    const token = await new AppServiceCredential({ retryOptions: NO_DELAY }).getToken(MANAGEMENT);
    expect(token.token).toBe("slow");
    expect(requests).toHaveLength(2);
  });
});

describe("App Service: the cache, as the wire sees it", () => {
  it("sends one request for many concurrent calls (MSAL.NET ManagedIdentityTests.ParallelRequests_CallTokenEndpointOnceAsync)", async () => {
    const { requests } = await appService(() => tokenAnswer("shared"));
    const credential = new AppServiceCredential();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => credential.getToken(MANAGEMENT)));
    expect(new Set(tokens.map((t) => t.token))).toEqual(new Set(["shared"]));
    expect(requests).toHaveLength(1);
  });

  it("asks again for another resource and serves each from the cache afterwards (MSAL.NET ManagedIdentityRequestTokensForDifferentScopesTestAsync; MSAL-Go TestCacheScopes)", async () => {
    const { requests } = await appService((request) => tokenAnswer(request.url.searchParams.get("resource") ?? ""));
    const credential = new AppServiceCredential();
    for (let round = 0; round < 2; round++) {
      expect((await credential.getToken(MANAGEMENT)).token).toBe("https://management.azure.com");
      expect((await credential.getToken("https://graph.microsoft.com/.default")).token).toBe(
        "https://graph.microsoft.com",
      );
    }
    expect(requests.map((r) => r.url.searchParams.get("resource"))).toEqual([
      "https://management.azure.com",
      "https://graph.microsoft.com",
    ]);
  });

  it("skips the cache when claims are given (MSAL.NET ManagedIdentityWithClaimsTestAsync; msal-python _test_happy_path, claims_challenge misses the cache)", async () => {
    const { requests } = await appService(() => tokenAnswer(`token-${requests.length}`));
    const credential = new AppServiceCredential();
    expect((await credential.getToken(MANAGEMENT)).token).toBe("token-1");
    expect((await credential.getToken(MANAGEMENT)).token).toBe("token-1");
    expect(
      (await credential.getToken(MANAGEMENT, { claims: '{"access_token":{"xms_cc":{"values":["cp1"]}}}' })).token,
    ).toBe("token-2");
    expect(requests).toHaveLength(2);
  });
});

describe("App Service 2017-09-01 (MSI_ENDPOINT, MSI_SECRET): dates", () => {
  it("reads the Linux answer recorded in test_app_service.test_system_assigned.yaml, 24-hour '05/22/2021 17:14:33 +00:00', at its recorded time", async () => {
    atRecordingTime("2021-05-21T17:14:34Z");
    const { requests } = await appService2017(() => ({
      status: 200,
      headers: { Server: "Kestrel" },
      body: {
        access_token: "redacted",
        expires_on: "05/22/2021 17:14:33 +00:00",
        resource: "https://management.azure.com",
        token_type: "Bearer",
        client_id: "6d807b1c-2a6f-41a0-b428-d0e3a08382a0",
      },
    }));
    const token = await new AzureMLCredential().getToken(MANAGEMENT);
    expect(token.expiresOnTimestamp).toBe(Date.parse("2021-05-22T17:14:33Z"));
    // Python test_app_service_2017_09_01: GET, secret header, api-version 2017-09-01.
    expect(requests[0]!.method).toBe("GET");
    expect(requests[0]!.headers["secret"]).toBe("redacted");
    expect(requests[0]!.url.searchParams.get("api-version")).toBe("2017-09-01");
  });

  it("reads Linux's '01/01/2030 00:00:42 +00:00' and Windows' '1/1/2030 12:00:42 AM +00:00' as the same instant (Python test_managed_identity.py test_app_service_2017_09_01, linux and windows formats)", async () => {
    atRecordingTime("2029-12-31T23:00:00Z");
    const formats = ["01/01/2030 00:00:42 +00:00", "1/1/2030 12:00:42 AM +00:00"];
    await appService2017((request) => ({
      status: 200,
      body: { access_token: "t", expires_on: formats[Number(request.url.searchParams.get("resource") === "b")] },
    }));
    const credential = new AzureMLCredential();
    const linux = await credential.getToken("a");
    const windows = await credential.getToken("b");
    expect(linux.expiresOnTimestamp).toBe(Date.parse("2030-01-01T00:00:42Z"));
    expect(windows.expiresOnTimestamp).toBe(linux.expiresOnTimestamp);
  });

  it("reads the recorded Linux answer when the chain picks the source from MSI_ENDPOINT and MSI_SECRET", async () => {
    atRecordingTime("2021-05-21T17:14:34Z");
    await appService2017(() => ({
      status: 200,
      body: { access_token: "via-chain", expires_on: "05/22/2021 17:14:33 +00:00", token_type: "Bearer" },
    }));
    const chain = new ManagedIdentityChainCredential({ arcAgentPath: NO_AGENT });
    await expect(chain.getToken(MANAGEMENT)).resolves.toMatchObject({
      token: "via-chain",
      expiresOnTimestamp: Date.parse("2021-05-22T17:14:33Z"),
    });
  });

  it.each([
    ["day first, as nobody recorded it", "22/05/2021 17:14:33 +00:00"],
    ["hour 24", "05/22/2021 24:14:33 +00:00"],
    ["dots", "2021.05.22 17:14:33"],
  ])(
    "refuses an expires_on in no recorded format (%s) with an AuthenticationError naming the field",
    async (_name, value) => {
      atRecordingTime("2021-05-21T17:14:34Z");
      await appService2017(() => ({ status: 200, body: { access_token: "t", expires_on: value } }));
      const error = await rejection(new AzureMLCredential().getToken(MANAGEMENT));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toContain("expires_on");
      expect(error.message).not.toContain("NaN");
    },
  );
});

describe("App Service: error answers", () => {
  it("keeps the message and the correlation id of App Service's 400 { message, correlation_id } (msal-node AppService.spec.ts 'ensures that the error format is correct')", async () => {
    const { requests } = await appService(() => ({
      status: 400,
      body: {
        message: "There was an error retrieving the access token from the managed identity.",
        correlation_id: "fake_correlation_id",
      },
    }));
    const error = await rejection(new AppServiceCredential().getToken(MANAGEMENT));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("There was an error retrieving the access token from the managed identity.");
    expect(error.message).toContain("correlation ID fake_correlation_id");
    expect((error as AuthenticationError).errorResponse).toMatchObject({ correlationId: "fake_correlation_id" });
    // msal-node DefaultManagedIdentityRetryPolicy.spec.ts: a status outside the retry policy is not retried.
    expect(requests).toHaveLength(1);
  });

  it("keeps App Service's camelCase correlationId after retrying 500 three times: four requests (MSAL.NET ManagedIdentityTestErrorResponseParsing; msal-node 'returns a 500 error response from the network request permanently')", async () => {
    const { requests } = await appService(() => ({
      status: 500,
      body: {
        statusCode: 500,
        message: "An unexpected error occured while fetching the AAD Token.",
        correlationId: "4ce26535-1769-4001-96e3-9019ce00922d",
      },
    }));
    const error = await rejection(new AppServiceCredential({ retryOptions: NO_DELAY }).getToken(MANAGEMENT));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("App Service");
    expect(error.message).toContain("An unexpected error occured while fetching the AAD Token.");
    expect(error.message).toContain("correlation ID 4ce26535-1769-4001-96e3-9019ce00922d");
    expect((error as AuthenticationError).errorResponse?.correlationId).toBe("4ce26535-1769-4001-96e3-9019ce00922d");
    expect(requests).toHaveLength(4);
  });

  it("keeps the words of { statusCode, message } without a correlation id (msal-python test_app_service_error_should_be_normalized)", async () => {
    await appService(() => ({ status: 500, body: { statusCode: 500, message: "error content is undefined" } }));
    const error = await rejection(
      new AppServiceCredential({ retryOptions: { ...NO_DELAY, maxRetries: 0 } }).getToken("R"),
    );
    expect(error.message).toContain("error content is undefined");
    expect(error.message).not.toContain("correlation ID");
  });

  it("reports a 500 with no body, after the retries, with its status (MSAL.NET ManagedIdentityErrorResponseNoPayloadTestAsync)", async () => {
    const { requests } = await appService(() => ({ status: 500, body: "" }));
    const error = await rejection(new AppServiceCredential({ retryOptions: NO_DELAY }).getToken("scope"));
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 500 });
    expect(requests).toHaveLength(4);
  });
});

describe("App Service: retries (msal-node DefaultManagedIdentityRetryPolicy.spec.ts, the linear policy of every non-IMDS source)", () => {
  it("retries a 500 once and takes the token: two requests ('returns a 500 error response from the network request, just the first time')", async () => {
    const { requests } = await appService(() => (requests.length === 1 ? { status: 500 } : tokenAnswer("second")));
    const token = await new AppServiceCredential({ retryOptions: NO_DELAY }).getToken(MANAGEMENT);
    expect(token.token).toBe("second");
    expect(requests).toHaveLength(2);
  });

  it("counts the retries per token request: three failing calls, four requests each ('retry policy lifetime is per request')", async () => {
    const { requests } = await appService(() => ({ status: 500 }));
    const credential = new AppServiceCredential({ retryOptions: NO_DELAY });
    for (const [i, resource] of [
      "https://graph.microsoft1.com",
      "https://graph.microsoft2.com",
      "https://graph.microsoft3.com",
    ].entries()) {
      await rejection(credential.getToken(resource));
      expect(requests).toHaveLength(4 * (i + 1));
    }
  });

  it.each([
    ["in seconds", (): string => "3"],
    ["as an HTTP-date", (): string => new Date(FAKE_START.getTime() + 3000).toUTCString()],
  ])(
    "waits the Retry-After of a 500 %s before the retry ('with a retry-after header of 3 seconds')",
    async (_name, retryAfter) => {
      useFakeClock();
      const recorder = tryRecorder();
      const { requests } = await appService((): Answer =>
        requests.length === 1 ? { status: 500, headers: { "Retry-After": retryAfter() } } : tokenAnswer("after-wait"),
      );
      const credential = new AppServiceCredential({
        additionalPolicies: [{ policy: recorder.policy, position: "perRetry" }],
      });
      const token = await settleWithFakeClock(credential.getToken(MANAGEMENT), { busy: recorder.busy });
      expect(token.token).toBe("after-wait");
      expect(recorder.gaps()).toEqual([3000]);
    },
  );
});
