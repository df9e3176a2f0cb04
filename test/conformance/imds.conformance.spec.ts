// IMDS, as other teams' suites pin it down, restated as tests of this package on a loopback IMDS.
// Draws on:
// - Azure/azure-sdk-for-python, sdk/identity/azure-identity/tests/recordings/ (answers recorded on real VMs):
//   test_imds_credential.test_system_assigned.yaml, test_imds_credential.pyTestImdstest_user_assigned.json;
// - AzureAD/microsoft-authentication-library-for-go, apps/managedidentity/managedidentity_test.go;
// - AzureAD/microsoft-authentication-library-for-dotnet, tests/Microsoft.Identity.Test.Unit/ManagedIdentityTests/
//   ImdsTests.cs and ManagedIdentityTests.cs (with MockHelpers.GetMsiErrorResponse's Entra body);
// - AzureAD/microsoft-authentication-library-for-python, tests/test_mi.py (VmTestCase).
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AuthenticationError,
  CredentialUnavailableError,
  ImdsCredential,
  ManagedIdentityChainCredential,
} from "../../src/index.js";
import { settleWithFakeClock, useFakeClock } from "../helpers/fakeClock.js";
import { type Answer, startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";
import { tryRecorder } from "../helpers/tryRecorder.js";
import { atRecordingTime, rejection } from "./helpers.js";

const TOKEN_PATH = "/metadata/identity/oauth2/token";
const NO_AGENT = "/nonexistent/azcmagent/bin/himds";
/** No waiting between retries: these cases count requests, not time. */
const NO_DELAY = { retryDelayInMs: 0 };

// The 400 a real IMDS gives a request without the Metadata header (the recordings' first interaction).
const METADATA_HEADER_MISSING: Answer = {
  status: 400,
  body: { error: "invalid_request", error_description: "Required metadata header not specified" },
};

// MSAL.NET MockHelpers.GetMsiErrorResponse(Imds): Entra's answer relayed by IMDS, with its support ids.
const ENTRA_INVALID_RESOURCE = {
  error: "invalid_resource",
  error_description:
    "AADSTS500011: The resource principal named scope was not found in the tenant named Microsoft.\r\nTrace ID: 0f2a\r\nCorrelation ID: 9c1b\r\nTimestamp: 2024-02-14 23:11:50Z",
  error_codes: "[500011]",
  timestamp: "2022-11-10 23:11:50Z",
  trace_id: "0f2a5b7c-trace",
  correlation_id: "9c1b3d5e-correlation",
  error_uri: "errorUri",
};

let server: TokenServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

async function imds(handler: Parameters<typeof startTokenServer>[0]): Promise<TokenServer> {
  server = await startTokenServer(handler);
  return server;
}

describe("IMDS: the request", () => {
  it("is GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=R with Metadata: true (Python recording test_imds_credential.test_system_assigned.yaml; MSAL-Go TestIMDSAcquireTokenReturnsTokenSuccess)", async () => {
    const { requests, origin } = await imds(() => tokenAnswer());
    await new ImdsCredential({ endpoint: origin }).getToken("https://management.azure.com/.default");
    expect(requests).toHaveLength(1);
    expect(requests[0]!.method).toBe("GET");
    expect(requests[0]!.url.pathname).toBe(TOKEN_PATH);
    // MSAL-Go: "suffix /.default was not removed" fails the test; the recording's resource has no slash either.
    expect(Object.fromEntries(requests[0]!.url.searchParams)).toEqual({
      "api-version": "2018-02-01",
      resource: "https://management.azure.com",
    });
    expect(requests[0]!.headers["metadata"]).toBe("true");
  });

  it.each([
    // Python recording test_imds_credential.pyTestImdstest_user_assigned.json: ...&client_id=client-id
    ["clientId", "client_id", "client-id"],
    // MSAL-Go TestIMDSAcquireTokenReturnsTokenSuccess (UserAssignedObjectID): object_id
    ["objectId", "object_id", "objectId"],
    // msal-python test_mi.py VmTestCase.test_vm_resource_id_parameter_should_be_msi_res_id
    ["resourceId", "msi_res_id", "1234"],
  ])("names a user-assigned identity by %s as the query parameter %s", async (option, parameter, value) => {
    const { requests, origin } = await imds(() => tokenAnswer());
    await new ImdsCredential({ endpoint: origin, [option]: value }).getToken("https://management.azure.com/.default");
    expect(Object.fromEntries(requests[0]!.url.searchParams)).toEqual({
      "api-version": "2018-02-01",
      resource: "https://management.azure.com",
      [parameter]: value,
    });
  });
});

describe("IMDS: AZURE_POD_IDENTITY_AUTHORITY_HOST (Python azure-identity test_imds_authority_override; its _get_request strips '/' and appends the token path)", () => {
  it.each([
    ["an origin", ""],
    ["an origin with a trailing slash", "/"],
    ["a host with a path prefix", "/pod-identity"],
    ["a host with a path prefix and a trailing slash", "/pod-identity/"],
  ])("puts /metadata/identity/oauth2/token under %s", async (_name, suffix) => {
    const { requests, origin } = await imds(() => tokenAnswer());
    vi.stubEnv("AZURE_POD_IDENTITY_AUTHORITY_HOST", `${origin}${suffix}`);
    await new ImdsCredential().getToken("scope");
    expect(requests[0]!.url.pathname).toBe(`${suffix.replace(/\/$/, "")}${TOKEN_PATH}`);
  });
});

describe("IMDS: the client request id", () => {
  it("sends x-ms-client-request-id, a UUID, the same on every retry of one token request and new for the next (MSAL-Go TestIMDSAcquireTokenReturnsTokenSuccess; MSAL.NET ImdsFails404TwiceThenSucceeds200Async)", async () => {
    const { requests, origin } = await imds((request) =>
      requests.length === 1 ? { status: 404 } : tokenAnswer(request.url.searchParams.get("resource") ?? ""),
    );
    const credential = new ImdsCredential({ endpoint: origin, retryOptions: NO_DELAY });
    await credential.getToken("https://management.azure.com/.default");
    await credential.getToken("https://vault.azure.net/.default");
    const ids = requests.map((r) => r.headers["x-ms-client-request-id"]);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });
});

describe("IMDS: answers recorded on real VMs", () => {
  it("reads the system-assigned answer of test_imds_credential.test_system_assigned.yaml (numbers as strings, ext_expires_in, not_before) at its recorded time", async () => {
    atRecordingTime("2021-04-26T22:13:41Z");
    const { origin } = await imds(() => ({
      status: 200,
      headers: { Server: "IMDS/150.870.65.492" },
      body: {
        access_token: "redacted",
        client_id: "e15dd129-090a-41d4-add5-bb4b16b2b1a9",
        expires_in: "86104",
        expires_on: "1619561325",
        ext_expires_in: "86399",
        not_before: "1619474625",
        resource: "https://management.azure.com",
        token_type: "Bearer",
      },
    }));
    const token = await new ImdsCredential({ endpoint: origin }).getToken("https://management.azure.com/.default");
    expect(token).toMatchObject({ token: "redacted", expiresOnTimestamp: 1619561325_000, tokenType: "Bearer" });
  });

  it("reads the user-assigned answer of test_imds_credential.pyTestImdstest_user_assigned.json, a real JWT, at its recorded time", async () => {
    atRecordingTime("2022-01-26T19:48:32Z");
    const jwt = `${Buffer.from('{"typ":"JWT","alg":"RS256"}').toString("base64url")}.${Buffer.from('{"aud":"https://management.azure.com"}').toString("base64url")}.c2ln`;
    const { origin } = await imds(() => ({
      status: 200,
      body: {
        access_token: jwt,
        client_id: "client-id",
        expires_in: "86315",
        expires_on: "1643312827",
        ext_expires_in: "86399",
        not_before: "1643226127",
        resource: "https://management.azure.com",
        token_type: "Bearer",
      },
    }));
    const token = await new ImdsCredential({ endpoint: origin, clientId: "client-id" }).getToken(
      "https://management.azure.com/.default",
    );
    expect(token.token).toBe(jwt);
    // expires_on wins over expires_in: the recorded pair disagrees by the seconds the request took.
    expect(token.expiresOnTimestamp).toBe(1643312827_000);
  });

  it("takes the recordings' first answer, 400 'Required metadata header not specified' to the header-less probe, as IMDS being there (test_imds_credential.test_system_assigned.yaml)", async () => {
    atRecordingTime("2021-04-26T22:13:41Z");
    const { requests, origin } = await imds((request) =>
      request.headers["metadata"] === undefined
        ? METADATA_HEADER_MISSING
        : { status: 200, body: { access_token: "redacted", expires_on: "1619561325", token_type: "Bearer" } },
    );
    const chain = new ManagedIdentityChainCredential({
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin },
      arcAgentPath: NO_AGENT,
    });
    await expect(chain.getToken("https://management.azure.com/.default")).resolves.toMatchObject({
      token: "redacted",
    });
    expect(requests.map((r) => r.headers["metadata"])).toEqual([undefined, "true"]);
  });
});

describe("IMDS: retries", () => {
  it("retries 404 twice, then takes the token: three requests (MSAL.NET ImdsTests.ImdsFails404TwiceThenSucceeds200Async)", async () => {
    const { requests, origin } = await imds(() =>
      requests.length <= 2 ? { status: 404, body: ENTRA_INVALID_RESOURCE } : tokenAnswer("after-404s"),
    );
    const token = await new ImdsCredential({ endpoint: origin, retryOptions: NO_DELAY }).getToken(
      "https://management.azure.com/.default",
    );
    expect(token.token).toBe("after-404s");
    expect(requests).toHaveLength(3);
  });

  it("retries 410 four times, then takes the token: five requests (MSAL.NET ImdsTests.ImdsFails410FourTimesThenSucceeds200Async)", async () => {
    const { requests, origin } = await imds(() => (requests.length <= 4 ? { status: 410 } : tokenAnswer("after-410s")));
    const token = await new ImdsCredential({ endpoint: origin, retryOptions: NO_DELAY }).getToken(
      "https://management.azure.com/.default",
    );
    expect(token.token).toBe("after-410s");
    expect(requests).toHaveLength(5);
  });

  it("keeps retrying a permanent 410 for at least 70 s in all, then fails with the status (MSAL.NET ImdsTests.ImdsFails410PermanentlyAsync; our DESIGN's 70 s, longer than MSAL.NET's fixed count)", async () => {
    useFakeClock();
    vi.spyOn(Math, "random").mockReturnValue(0);
    const recorder = tryRecorder();
    const { requests, origin } = await imds(() => ({ status: 410 }));
    const credential = new ImdsCredential({
      endpoint: origin,
      additionalPolicies: [{ policy: recorder.policy, position: "perRetry" }],
    });
    const error = await settleWithFakeClock(credential.getToken("https://management.azure.com/.default"), {
      busy: recorder.busy,
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ statusCode: 410 });
    const waited = recorder.gaps().reduce((a, b) => a + b, 0);
    expect(waited).toBeGreaterThanOrEqual(70_000);
    expect(requests.length).toBe(recorder.tries.length);
  });

  it("retries a permanent 504 until its retries (5) run out: six requests, then the status (MSAL.NET ImdsTests.ImdsFails504PermanentlyAsync; MSAL-Go retryCodesForIMDS)", async () => {
    const { requests, origin } = await imds(() => ({ status: 504 }));
    const error = await rejection(
      new ImdsCredential({ endpoint: origin, retryOptions: NO_DELAY }).getToken(
        "https://management.azure.com/.default",
      ),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).statusCode).toBe(504);
    expect(requests).toHaveLength(6);
  });

  it("never retries 400 (MSAL.NET ImdsTests.ImdsFails400WhichIsNonRetriableAndRetryPolicyIsNotTriggeredAsync; MSAL-Go TestSystemAssignedReturnsAcquireTokenFailure 'Identity not found')", async () => {
    const { requests, origin } = await imds(() => ({
      status: 400,
      body: { error: "invalid_request", error_description: "Identity not found" },
    }));
    const error = await rejection(
      new ImdsCredential({ endpoint: origin, retryOptions: NO_DELAY }).getToken(
        "https://management.azure.com/.default",
      ),
    );
    // No identity here: a chain moves on (DESIGN); the endpoint's words are kept.
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error.message).toContain("Identity not found");
    expect(requests).toHaveLength(1);
  });

  it("reports IMDS's 400 invalid_resource (AADSTS500011) at once as a failure, not as 'no identity here', with Entra's ids (MSAL.NET ImdsFails400WhichIsNonRetriableAndRetryPolicyIsNotTriggeredAsync, GetMsiImdsErrorResponse)", async () => {
    const { requests, origin } = await imds(() => ({ status: 400, body: ENTRA_INVALID_RESOURCE }));
    const error = await rejection(
      new ImdsCredential({ endpoint: origin, retryOptions: NO_DELAY }).getToken("user.read"),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("AADSTS500011");
    expect((error as AuthenticationError).errorResponse).toMatchObject({
      correlationId: "9c1b3d5e-correlation",
      traceId: "0f2a5b7c-trace",
    });
    expect(requests).toHaveLength(1);
  });

  it("retries 501, as MSAL-Go's retryCodesForIMDS does (TestSystemAssignedReturnsAcquireTokenFailure, StatusNotImplemented)", async () => {
    const { requests, origin } = await imds(() => (requests.length === 1 ? { status: 501 } : tokenAnswer("after-501")));
    const token = await new ImdsCredential({ endpoint: origin, retryOptions: NO_DELAY }).getToken(
      "https://management.azure.com/.default",
    );
    expect(token.token).toBe("after-501");
    expect(requests).toHaveLength(2);
  });
});

describe("IMDS: error answers and odd bodies", () => {
  it("keeps Entra's AADSTS code verbatim and its support ids (correlation ID, trace ID) in the message and on errorResponse (MSAL.NET MockHelpers.GetMsiErrorResponse(Imds), ManagedIdentityTests.ManagedIdentityErrorMessageAttributesCorrelationIdToSourceAsync)", async () => {
    const { origin } = await imds(() => ({ status: 500, body: ENTRA_INVALID_RESOURCE }));
    const error = await rejection(
      new ImdsCredential({ endpoint: origin, retryOptions: { ...NO_DELAY, maxRetries: 0 } }).getToken(
        "https://management.azure.com/.default",
      ),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("IMDS");
    expect(error.message).toContain("AADSTS500011");
    expect(error.message).toContain("correlation ID 9c1b3d5e-correlation, trace ID 0f2a5b7c-trace");
    expect((error as AuthenticationError).errorResponse).toMatchObject({
      error: "invalid_resource",
      errorCodes: [500011],
      timestamp: "2022-11-10 23:11:50Z",
      traceId: "0f2a5b7c-trace",
      correlationId: "9c1b3d5e-correlation",
    });
  });

  it("rejects a truncated JSON token answer as not a token (MSAL-Go TestInvalidJsonErrReturnOnAcquireToken)", async () => {
    const { origin } = await imds(() => ({
      status: 200,
      body: `{"access_token": "tetant","expires_in": 3600,"expires_on": ${Math.floor(Date.now() / 1000) + 3600},"token_type": "Bearer"`,
    }));
    const error = await rejection(new ImdsCredential({ endpoint: origin }).getToken("https://resource/.default"));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/not a token.*not JSON/);
    expect(error.message).not.toContain("tetant");
  });

  it("passes an error body of no known shape on as it is, and caches nothing (msal-python test_mi.py VmTestCase.test_vm_error_should_be_returned_as_is)", async () => {
    const { requests, origin } = await imds(() => ({ status: 400, body: '{"raw": "error format is undefined"}' }));
    const credential = new ImdsCredential({ endpoint: origin });
    const first = await rejection(credential.getToken("R"));
    expect(first.message).toContain("error format is undefined");
    await rejection(credential.getToken("R"));
    expect(requests).toHaveLength(2);
  });

  it("takes expires_in alone, as a string, and refreshes at about half the life of a token of two hours or more (msal-python test_mi.py VmTestCase.test_happy_path, expires_in 7890)", async () => {
    atRecordingTime("2025-06-01T12:00:00Z");
    vi.spyOn(Math, "random").mockReturnValue(0);
    const { origin } = await imds(() => ({
      status: 200,
      body: { access_token: "AT", expires_in: "7890", resource: "R" },
    }));
    const token = await new ImdsCredential({ endpoint: origin }).getToken("R");
    const now = Date.parse("2025-06-01T12:00:00Z");
    expect(token.expiresOnTimestamp).toBe(now + 7890_000);
    expect(token.refreshAfterTimestamp).toBe(now + 3945_000);
  });
});
