// Azure Arc's himds agent, as other teams' suites pin it down: the request, the file challenge and its
// refusals, user-assigned identities and the agent's error answers, on a loopback agent.
// Draws on:
// - AzureAD/microsoft-authentication-library-for-go, apps/managedidentity/managedidentity_test.go
//   (TestAzureArc, TestAzureArcErrors, TestAzureArcUserAssignedHonored, TestAzureArcUserAssignedNotHonoredFailsClosed,
//   TestAzureArcUserAssignedNotFoundSurfacesServiceError);
// - AzureAD/microsoft-authentication-library-for-dotnet, tests/Microsoft.Identity.Test.Unit/ManagedIdentityTests/AzureArcTests.cs
//   (AzureArcAuthHeaderMissingAsync, AzureArcAuthHeaderInvalidAsync);
// - AzureAD/microsoft-authentication-library-for-js, lib/msal-node/test/test_kit/StringConstants.ts
//   (MANAGED_IDENTITY_AZURE_ARC_NETWORK_REQUEST_400_ERROR);
// - AzureAD/microsoft-authentication-library-for-python, tests/test_mi.py (ArcTestCase).
import { mkdir } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ArcCredential, AuthenticationError } from "../../src/index.js";
import { type ArcFolders, makeArcFolders, startArcAgent, unguessable } from "../helpers/arcFixture.js";
import { type Answer, type SeenRequest, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";
import { rejection } from "./helpers.js";

const MANAGEMENT = "https://management.azure.com/.default";
const TOKEN_PATH = "/metadata/identity/oauth2/token";

// The machine's identity, which an older agent hands back whatever it was asked for, and a user-assigned one.
const SYSTEM_ASSIGNED = {
  appid: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
  oid: "ffffffff-0000-1111-2222-333333333333",
  xms_mirid: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.HybridCompute/machines/arc-1",
};
const USER_ASSIGNED = {
  appid: "11111111-1111-1111-1111-111111111111",
  oid: "22222222-2222-2222-2222-222222222222",
  xms_mirid: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami",
};

/** A JWT carrying `claims` (the credential reads claims; it never checks the signature). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part({ aud: "https://management.azure.com", ...claims })}.c2ln`;
}

let folders: ArcFolders;
let agent: TokenServer | undefined;
let secret: string;
beforeEach(async () => {
  folders = await makeArcFolders();
  secret = unguessable("arc-secret");
});
afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await folders.remove();
});

/** A loopback himds agent challenging with `challenge`, answering an authorized request with `authorized`. */
async function arc(
  challenge: () => string,
  authorized: (request: SeenRequest) => Answer | undefined = () => tokenAnswer("arc-token"),
): Promise<{ agent: TokenServer; credential: (options?: object) => ArcCredential }> {
  agent = await startArcAgent({ challenge, authorized });
  const endpoint = `${agent.origin}${TOKEN_PATH}`;
  return {
    agent,
    credential: (options = {}) => new ArcCredential({ endpoint, tokenFolder: folders.folder, ...options }),
  };
}

/** The agent saw one request, the challenged one, and the secret never left the process. */
function expectOnlyTheChallengedRequest(server: TokenServer): void {
  expect(server.requests).toHaveLength(1);
  expect(server.requests[0]!.headers["authorization"]).toBeUndefined();
  expect(JSON.stringify(server.requests)).not.toContain(secret);
}

describe("Arc: the request and the file challenge (MSAL-Go TestAzureArc)", () => {
  it("asks GET ?api-version=2020-06-01&resource=R with Metadata: true, then again with Authorization: Basic <the file's content>", async () => {
    const key = await folders.write("secret.key", secret);
    const { agent, credential } = await arc(() => `Basic realm=${key}`);
    const token = await credential().getToken(MANAGEMENT);
    expect(token.token).toBe("arc-token");
    expect(agent.requests).toHaveLength(2);
    for (const request of agent.requests) {
      expect(request.method).toBe("GET");
      expect(request.url.pathname).toBe(TOKEN_PATH);
      expect(Object.fromEntries(request.url.searchParams)).toEqual({
        "api-version": "2020-06-01",
        resource: "https://management.azure.com",
      });
      expect(request.headers["metadata"]).toBe("true");
    }
    expect(agent.requests[0]!.headers["authorization"]).toBeUndefined();
    expect(agent.requests[1]!.headers["authorization"]).toBe(`Basic ${secret}`);
  });

  it("answers the challenge of an agent on the IPv6 loopback address, http://[::1]:port, which is this machine too (msal-node ManagedIdentityEndpointValidation.spec.ts 'IPv6 loopback', http://[::1]:40342/…)", async () => {
    const key = await folders.write("v6.key", secret);
    const seen: (string | undefined)[] = [];
    const v6 = http.createServer((req, res) => {
      seen.push(req.headers["authorization"]);
      if (req.headers["authorization"] === undefined) {
        res.writeHead(401, { "WWW-Authenticate": `Basic realm=${key}` });
        res.end();
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(tokenAnswer("arc-over-ipv6").body));
    });
    await new Promise<void>((resolve) => v6.listen(0, "::1", resolve));
    try {
      const endpoint = `http://[::1]:${(v6.address() as AddressInfo).port}${TOKEN_PATH}`;
      const token = await new ArcCredential({ endpoint, tokenFolder: folders.folder }).getToken(MANAGEMENT);
      expect(token.token).toBe("arc-over-ipv6");
      expect(seen).toEqual([undefined, `Basic ${secret}`]);
    } finally {
      v6.closeAllConnections();
      await new Promise<void>((resolve) => v6.close(() => resolve()));
    }
  });

  it("accepts a challenge file of exactly 4096 bytes (msal-python ArcTestCase, os.stat st_size=4096)", async () => {
    secret = "k".repeat(4096);
    const key = await folders.write("max.key", secret);
    const { credential } = await arc(() => `Basic realm=${key}`);
    await expect(credential().getToken(MANAGEMENT)).resolves.toMatchObject({ token: "arc-token" });
  });
});

describe("Arc: challenges that are refused, before the secret is read or sent", () => {
  it("refuses a 401 without WWW-Authenticate (MSAL-Go TestAzureArcErrors 'No www-authenticate header'; MSAL.NET AzureArcAuthHeaderMissingAsync)", async () => {
    const { agent, credential } = await arc(() => "");
    const error = await rejection(credential().getToken(MANAGEMENT));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("WWW-Authenticate");
    expectOnlyTheChallengedRequest(agent);
  });

  it.each([
    // MSAL-Go TestAzureArcErrors "Basic realm= not found"
    ["'Basic ' without a realm", () => "Basic "],
    // MSAL.NET AzureArcAuthHeaderInvalidAsync "somefile=filename"
    ["'somefile=filename'", () => "somefile=filename"],
  ])("refuses a challenge with no Basic realm: %s", async (_name, challenge) => {
    const { agent, credential } = await arc(challenge);
    await expect(credential().getToken(MANAGEMENT)).rejects.toBeInstanceOf(AuthenticationError);
    expectOnlyTheChallengedRequest(agent);
  });

  it("refuses a file without the .key extension (MSAL-Go 'Invalid file extension' secret.txt; MSAL.NET filename.txt)", async () => {
    const file = await folders.write("secret.txt", secret);
    const { agent, credential } = await arc(() => `Basic realm=${file}`);
    const error = await rejection(credential().getToken(MANAGEMENT));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain(".key");
    expectOnlyTheChallengedRequest(agent);
  });

  it("refuses a file outside the agent's token folder (MSAL-Go 'Invalid file path')", async () => {
    const file = await folders.write("secret.key", secret, folders.outside);
    const { agent, credential } = await arc(() => `Basic realm=${file}`);
    const error = await rejection(credential().getToken(MANAGEMENT));
    expect(error).toBeInstanceOf(AuthenticationError);
    expectOnlyTheChallengedRequest(agent);
  });

  it("refuses a path that climbs out of the token folder with '..' (MSAL.NET AzureArcAuthHeaderInvalidAsync, Tokens\\...\\etc\\filename.key)", async () => {
    await folders.write("filename.key", secret, folders.outside);
    const climbing = path.join(folders.folder, "..", path.basename(folders.outside), "filename.key");
    const { agent, credential } = await arc(() => `Basic realm=${climbing}`);
    await expect(credential().getToken(MANAGEMENT)).rejects.toBeInstanceOf(AuthenticationError);
    expectOnlyTheChallengedRequest(agent);
  });

  it("refuses a file in a folder below the token folder: the agent writes its keys directly in it (msal-node AzureArc.spec.ts, 'the path of the secret file ... is not in the expected Windows or Linux formats')", async () => {
    const below = path.join(folders.folder, "this_will_throw_because_file_path_must_match_exactly");
    await mkdir(below);
    const key = await folders.write("AzureArcSecret.key", secret, below);
    const { agent, credential } = await arc(() => `Basic realm=${key}`);
    await expect(credential().getToken(MANAGEMENT)).rejects.toBeInstanceOf(AuthenticationError);
    expectOnlyTheChallengedRequest(agent);
  });

  it("refuses a file larger than 4096 bytes (MSAL-Go 'Invalid secret file size', 5000)", async () => {
    const key = await folders.write("big.key", "x".repeat(5000));
    const { agent, credential } = await arc(() => `Basic realm=${key}`);
    const error = await rejection(credential().getToken(MANAGEMENT));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("4096");
    expect(agent.requests).toHaveLength(1);
  });

  it("refuses realm=/tmp/foo, which msal-python maps to <token folder>/foo.key (ArcTestCase.test_happy_path): we follow MSAL-Go and MSAL.NET and read only the file the agent names, a .key inside the folder", async () => {
    await folders.write("foo.key", secret);
    const { agent, credential } = await arc(() => `Basic realm=${path.join(folders.outside, "foo")}`);
    await expect(credential().getToken(MANAGEMENT)).rejects.toBeInstanceOf(AuthenticationError);
    expectOnlyTheChallengedRequest(agent);
  });
});

describe("Arc: user-assigned identities", () => {
  it.each([
    ["clientId", "client_id", USER_ASSIGNED.appid],
    ["objectId", "object_id", USER_ASSIGNED.oid],
    ["resourceId", "msi_res_id", USER_ASSIGNED.xms_mirid],
  ])(
    "sends %s as %s and takes a token for that identity (MSAL-Go TestAzureArcUserAssignedHonored)",
    async (option, parameter, value) => {
      const key = await folders.write("uami.key", secret);
      const { agent, credential } = await arc(
        () => `Basic realm=${key}`,
        () => ({
          status: 200,
          body: { ...(tokenAnswer().body as object), access_token: jwt(USER_ASSIGNED), [parameter]: value },
        }),
      );
      const token = await credential({ [option]: value }).getToken(MANAGEMENT);
      expect(token.token).toBe(jwt(USER_ASSIGNED));
      expect(agent.requests[1]!.url.searchParams.get(parameter)).toBe(value);
    },
  );

  it("fails closed when an older agent answers a user-assigned request with the machine's identity (MSAL-Go TestAzureArcUserAssignedNotHonoredFailsClosed 'NoEcho')", async () => {
    const key = await folders.write("old.key", secret);
    const { credential } = await arc(
      () => `Basic realm=${key}`,
      () => ({ status: 200, body: { ...(tokenAnswer().body as object), access_token: jwt(SYSTEM_ASSIGNED) } }),
    );
    const error = await rejection(credential({ clientId: USER_ASSIGNED.appid }).getToken(MANAGEMENT));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("appid");
    expect(error.message).not.toContain(jwt(SYSTEM_ASSIGNED));
  });

  it("trusts the token over the answer's echo: client_id echoed but a token for the machine's identity fails closed (MSAL-Go checks the echo; the token is what a service will act on, so we check its claims, DESIGN)", async () => {
    const key = await folders.write("echo.key", secret);
    const { credential } = await arc(
      () => `Basic realm=${key}`,
      () => ({
        status: 200,
        body: { ...(tokenAnswer().body as object), access_token: jwt(SYSTEM_ASSIGNED), client_id: USER_ASSIGNED.appid },
      }),
    );
    await expect(credential({ clientId: USER_ASSIGNED.appid }).getToken(MANAGEMENT)).rejects.toBeInstanceOf(
      AuthenticationError,
    );
  });

  it("reports a newer agent's 404 identity_not_found as the agent's own error, not as the fail-closed check (MSAL-Go TestAzureArcUserAssignedNotFoundSurfacesServiceError)", async () => {
    const key = await folders.write("nf.key", secret);
    const { agent, credential } = await arc(
      () => `Basic realm=${key}`,
      () => ({
        status: 404,
        body: {
          error: "identity_not_found",
          error_description: "the requested identity has not been assigned to this resource",
        },
      }),
    );
    const error = await rejection(credential({ clientId: USER_ASSIGNED.appid }).getToken(MANAGEMENT));
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 404 });
    expect(error.message).toContain("identity_not_found");
    expect(error.message).not.toContain("claim");
    // Not retried: the challenge and the one authorized request. msal-node's DefaultManagedIdentityRetryPolicy
    // retries 404 for every source, MSAL-Go's retryStatusCodes do not outside IMDS; an identity that is not
    // assigned stays unassigned on retry, so we side with MSAL-Go and answer at once.
    expect(agent.requests).toHaveLength(2);
  });
});

describe("Arc: the agent's error answers", () => {
  it("keeps error_codes, timestamp, trace_id and correlation_id in the message and on errorResponse (msal-node StringConstants MANAGED_IDENTITY_AZURE_ARC_NETWORK_REQUEST_400_ERROR)", async () => {
    const key = await folders.write("err.key", secret);
    const { credential } = await arc(
      () => `Basic realm=${key}`,
      () => ({
        status: 400,
        body: {
          error: "fake_error",
          error_description: "There was an error retrieving the access token from the managed identity.",
          error_codes: [500011],
          timestamp: "fake_timestamp",
          trace_id: "fake_trace_id",
          correlation_id: "fake_correlation_id",
        },
      }),
    );
    const error = await rejection(credential().getToken(MANAGEMENT));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("fake_error: There was an error retrieving the access token");
    expect(error.message).toContain("correlation ID fake_correlation_id, trace ID fake_trace_id");
    expect((error as AuthenticationError).errorResponse).toEqual({
      error: "fake_error",
      errorDescription: "There was an error retrieving the access token from the managed identity.",
      errorCodes: [500011],
      timestamp: "fake_timestamp",
      traceId: "fake_trace_id",
      correlationId: "fake_correlation_id",
    });
  });

  it("keeps a plain-text error body after the challenge (msal-python ArcTestCase.test_arc_error_should_be_normalized, 400 'undefined')", async () => {
    const key = await folders.write("plain.key", secret);
    const { credential } = await arc(
      () => `Basic realm=${key}`,
      () => ({ status: 400, headers: { "Content-Type": "text/plain" }, body: "undefined" }),
    );
    const error = await rejection(credential().getToken("R"));
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 400 });
    expect(error.message).toContain("'undefined'");
  });
});
