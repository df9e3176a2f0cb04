import { ChainedTokenCredential } from "@azure/identity";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AuthenticationError,
  CredentialUnavailableError,
  ImdsCredential,
  ManagedIdentityChainCredential,
} from "../../src/index.js";
import { failure } from "../helpers/failure.js";
import { recordingHttpClient } from "../helpers/recordingHttpClient.js";
import {
  type Answer,
  startTokenServer,
  tokenAnswer,
  type SeenRequest,
  type TokenServer,
} from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const TOKEN_PATH = "/metadata/identity/oauth2/token";

function query(request: SeenRequest): Record<string, string> {
  return Object.fromEntries(request.url.searchParams);
}

describe("ImdsCredential: the request", () => {
  let server: TokenServer;
  afterEach(async () => {
    vi.unstubAllEnvs();
    await server?.close();
  });

  async function only(credential: ImdsCredential, scope = SCOPE): Promise<SeenRequest> {
    await credential.getToken(scope);
    expect(server.requests).toHaveLength(1);
    return server.requests[0]!;
  }

  it("is GET <origin>/metadata/identity/oauth2/token?api-version=2018-02-01&resource=R with Metadata: true and no body", async () => {
    server = await startTokenServer(() => tokenAnswer());
    const request = await only(new ImdsCredential({ endpoint: server.origin }));
    expect(request.method).toBe("GET");
    expect(request.url.pathname).toBe(TOKEN_PATH);
    expect(query(request)).toEqual({ "api-version": "2018-02-01", resource: "https://vault.azure.net" });
    expect(request.headers["metadata"]).toBe("true");
    expect(request.headers["authorization"]).toBeUndefined();
    expect(request.headers["user-agent"]).toMatch(/azsdk-js-azure-managed-identity\//);
    expect(request.body).toBe("");
  });

  it("sends a scope without /.default as the resource unchanged", async () => {
    server = await startTokenServer(() => tokenAnswer());
    const request = await only(new ImdsCredential({ endpoint: server.origin }), "https://management.azure.com/");
    expect(query(request)["resource"]).toBe("https://management.azure.com/");
  });

  it.each([
    ["clientId", "client_id", "11111111-2222-3333-4444-555555555555"],
    ["objectId", "object_id", "66666666-7777-8888-9999-000000000000"],
    [
      "resourceId",
      "msi_res_id",
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id&x=1",
    ],
  ])("sends %s as %s, encoded, and nothing else", async (option, parameter, value) => {
    server = await startTokenServer(() => tokenAnswer());
    const request = await only(new ImdsCredential({ endpoint: server.origin, [option]: value }));
    expect(query(request)).toEqual({
      "api-version": "2018-02-01",
      resource: "https://vault.azure.net",
      [parameter]: value,
    });
  });

  it("takes AZURE_POD_IDENTITY_AUTHORITY_HOST as a bare origin and appends the token path", async () => {
    server = await startTokenServer(() => tokenAnswer());
    vi.stubEnv("AZURE_POD_IDENTITY_AUTHORITY_HOST", server.origin);
    const request = await only(new ImdsCredential());
    expect(request.url.pathname).toBe(TOKEN_PATH);
    expect(query(request)["api-version"]).toBe("2018-02-01");
  });

  it("takes AZURE_POD_IDENTITY_AUTHORITY_HOST with a trailing slash", async () => {
    server = await startTokenServer(() => tokenAnswer());
    vi.stubEnv("AZURE_POD_IDENTITY_AUTHORITY_HOST", `${server.origin}/`);
    expect((await only(new ImdsCredential())).url.pathname).toBe(TOKEN_PATH);
  });

  it("takes the endpoint option as a full URL, path kept, query replaced", async () => {
    server = await startTokenServer(() => tokenAnswer());
    const request = await only(
      new ImdsCredential({ endpoint: `${server.origin}/custom/token?api-version=1999-01-01` }),
    );
    expect(request.url.pathname).toBe("/custom/token");
    expect(query(request)).toEqual({ "api-version": "2018-02-01", resource: "https://vault.azure.net" });
  });

  it("prefers the endpoint option to AZURE_POD_IDENTITY_AUTHORITY_HOST", async () => {
    server = await startTokenServer(() => tokenAnswer());
    const other = await startTokenServer(() => tokenAnswer());
    try {
      vi.stubEnv("AZURE_POD_IDENTITY_AUTHORITY_HOST", other.origin);
      await only(new ImdsCredential({ endpoint: server.origin }));
      expect(other.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it.each([[""], ["   "]])(
    "counts AZURE_POD_IDENTITY_AUTHORITY_HOST=%j as unset: the IMDS address, nothing sent there",
    async (value) => {
      vi.stubEnv("AZURE_POD_IDENTITY_AUTHORITY_HOST", value);
      const httpClient = recordingHttpClient();
      await new ImdsCredential({ httpClient }).getToken(SCOPE);
      expect(httpClient.requests.map((r) => new URL(r.url).origin + new URL(r.url).pathname)).toEqual([
        `http://169.254.169.254${TOKEN_PATH}`,
      ]);
    },
  );

  it("refuses two identity options at once, at construction", () => {
    expect(() => new ImdsCredential({ endpoint: "http://127.0.0.1:1", clientId: "a", objectId: "b" })).toThrow(
      TypeError,
    );
    expect(() => new ImdsCredential({ endpoint: "http://127.0.0.1:1", clientId: "a", resourceId: "/r" })).toThrow(
      /at most one of clientId, objectId and resourceId/,
    );
  });

  it("refuses an endpoint that is not an http URL, at construction", () => {
    expect(() => new ImdsCredential({ endpoint: "not a url" })).toThrow(TypeError);
    expect(() => new ImdsCredential({ endpoint: "ftp://127.0.0.1/" })).toThrow(/http or https/);
  });
});

// IMDS's 400s, told apart by their body: "Identity not found" means no identity here (the chain moves on);
// every other 400 comes from a host that has the identity and refused the request itself (a failure that
// stops a chain, with Microsoft Entra's AADSTS code and text in the message, which clients look for).
const COSMOS_SCOPE = "https://myaccount.documents.azure.com/.default";

// The body IMDS sends when the VM has no identity, or not the user-assigned one asked for, as quoted from a
// real VM in Azure/azure-sdk-for-net issue 37278 (`Server: IMDS/150.870.65.1015`).
const IDENTITY_NOT_FOUND = { error: "invalid_request", error_description: "Identity not found" };

// Microsoft Entra's answer for a resource unknown in the tenant, passed on by IMDS as `invalid_resource`:
// code, text, then its support ids, on separate lines. @azure/cosmos and @azure/app-configuration (and
// Azure/azure-cosmos-dotnet-v3's CosmosScopeProvider, constant AadInvalidScopeErrorMessage) match
// "AADSTS500011" in the error's message to retry with another audience.
const AADSTS500011 =
  "AADSTS500011: The resource principal named https://myaccount.documents.azure.com was not found in the tenant named Contoso. " +
  "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
  "You might have sent your authentication request to the wrong tenant.\r\n" +
  "Trace ID: 0b7a2c4e-52f1-4c11-9a53-2d2b8f6a3f00\r\nCorrelation ID: 6a1f7a0e-1e23-4b9a-8d5f-1c7e0c3d2b11\r\nTimestamp: 2026-11-26 09:30:00Z";
const INVALID_RESOURCE = { error: "invalid_resource", error_description: AADSTS500011 };

/** What the message shows of a description: the same words, its line breaks as spaces. */
const oneLine = (text: string): string => text.replace(/\s+/g, " ");

let badRequestServer: TokenServer | undefined;
afterEach(async () => {
  await badRequestServer?.close();
  badRequestServer = undefined;
});

/** A loopback IMDS: the probe (no Metadata header) gets 400 like the real one, a token request `answer`. */
async function imds(answer: () => Answer): Promise<TokenServer> {
  badRequestServer = await startTokenServer((request) =>
    request.headers["metadata"] === undefined ? { status: 400, body: { error: "bad_request" } } : answer(),
  );
  return badRequestServer;
}

describe("IMDS 400 'Identity not found'", () => {
  it("is CredentialUnavailableError, for the system-assigned identity and for a user-assigned one; not retried", async () => {
    const endpoint = (await imds(() => ({ status: 400, body: IDENTITY_NOT_FOUND }))).origin;

    const system = await failure(new ImdsCredential({ endpoint }).getToken(COSMOS_SCOPE));
    const user = await failure(
      new ImdsCredential({ endpoint, clientId: "11111111-2222-3333-4444-555555555555" }).getToken(COSMOS_SCOPE),
    );

    for (const error of [system, user]) {
      expect(error).toBeInstanceOf(CredentialUnavailableError);
      expect(error.message).toContain("invalid_request: Identity not found");
    }
    expect(badRequestServer!.requests).toHaveLength(2);
  });
});

describe("any other IMDS 400", () => {
  it("invalid_resource AADSTS500011: AuthenticationError whose message carries the code and Entra's text, not retried", async () => {
    const endpoint = (await imds(() => ({ status: 400, body: INVALID_RESOURCE }))).origin;

    const error = await failure(new ImdsCredential({ endpoint }).getToken(COSMOS_SCOPE));

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.name).toBe("AuthenticationError");
    // The check the clients make, and the whole text (support ids included), not a truncation of it.
    expect(error.message.includes("AADSTS500011")).toBe(true);
    expect(error.message).toContain(`invalid_resource: ${oneLine(AADSTS500011)}`);
    expect(error.message).toContain("check the scope");
    expect(error.message).not.toContain("is a managed identity");
    expect(error).toMatchObject({
      statusCode: 400,
      errorResponse: { error: "invalid_resource", errorDescription: oneLine(AADSTS500011) },
    });
    expect(badRequestServer!.requests).toHaveLength(1);
  });

  it.each([
    [
      "a malformed request",
      { error: "invalid_request", error_description: "Required audience parameter not specified" },
    ],
    ["an empty body", ""],
    ["an unknown error", { error: "bad_request", error_description: "Invalid api-version '2099-01-01'" }],
  ])("%s: AuthenticationError with status 400", async (_, body) => {
    const endpoint = (await imds(() => ({ status: 400, body }))).origin;
    const error = await failure(new ImdsCredential({ endpoint }).getToken(COSMOS_SCOPE));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ statusCode: 400 });
  });

  it("stops @azure/identity's ChainedTokenCredential (it does not fall through to the next credential)", async () => {
    const endpoint = (await imds(() => ({ status: 400, body: INVALID_RESOURCE }))).origin;
    let nextCalled = 0;
    const next = {
      getToken: async () => {
        nextCalled++;
        return { token: "developer-token", expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const error = await failure(
      new ChainedTokenCredential(new ImdsCredential({ endpoint }), next).getToken(COSMOS_SCOPE),
    );
    expect(error.message).toContain("AADSTS500011");
    expect(nextCalled).toBe(0);
  });

  it("reaches the caller of ManagedIdentityChainCredential as AuthenticationError, while 'Identity not found' is unavailable", async () => {
    let answer: Answer = { status: 400, body: INVALID_RESOURCE };
    const endpoint = (await imds(() => answer)).origin;
    const env = { AZURE_POD_IDENTITY_AUTHORITY_HOST: endpoint };

    const failed = await failure(new ManagedIdentityChainCredential({ env }).getToken(COSMOS_SCOPE));
    expect(failed).toBeInstanceOf(AuthenticationError);
    expect(failed.message).toContain("AADSTS500011");

    answer = { status: 400, body: IDENTITY_NOT_FOUND };
    const absent = await failure(new ManagedIdentityChainCredential({ env }).getToken(COSMOS_SCOPE));
    expect(absent).toBeInstanceOf(CredentialUnavailableError);

    answer = tokenAnswer("imds-token");
    await expect(new ManagedIdentityChainCredential({ env }).getToken(COSMOS_SCOPE)).resolves.toMatchObject({
      token: "imds-token",
    });
  });
});
