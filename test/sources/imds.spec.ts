import { afterEach, describe, expect, it, vi } from "vitest";
import { ImdsCredential } from "../../src/index.js";
import { startTokenServer, tokenAnswer, type SeenRequest, type TokenServer } from "../helpers/tokenServer.js";
import { recordingHttpClient } from "../helpers/recordingHttpClient.js";

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
