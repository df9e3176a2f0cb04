import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ArcCredential, AuthenticationError } from "../../../src/index.js";
import { startTokenServer, tokenAnswer, type SeenRequest, type TokenServer } from "../../helpers/tokenServer.js";
import { unsignedJwt } from "../../helpers/jwt.js";
import { failure } from "../../helpers/failure.js";
import { recordingHttpClient } from "../../helpers/recordingHttpClient.js";

const SCOPE = "https://vault.azure.net/.default";
const TOKEN_PATH = "/metadata/identity/oauth2/token";
const SECRET = "arc-challenge-secret-0123456789";

function query(request: SeenRequest): Record<string, string> {
  return Object.fromEntries(request.url.searchParams);
}

describe("ArcCredential: the request", () => {
  let server: TokenServer;
  let tokenFolder: string;
  let keyFile: string;

  beforeEach(async () => {
    tokenFolder = await mkdtemp(path.join(tmpdir(), "arc-tokens-"));
    keyFile = path.join(tokenFolder, "challenge.key");
    await writeFile(keyFile, SECRET);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await server?.close();
    await rm(tokenFolder, { recursive: true, force: true });
  });

  /** An agent that challenges a request without the secret and answers `token` to one with it. */
  function agent(token: () => string = () => "arc-token") {
    return startTokenServer((request) => {
      if (request.headers["authorization"] !== `Basic ${SECRET}`) {
        return { status: 401, headers: { "WWW-Authenticate": `Basic realm=${keyFile}` }, body: "" };
      }
      return tokenAnswer(token());
    });
  }

  it("is GET $IDENTITY_ENDPOINT?api-version=2020-06-01&resource=R with Metadata: true, then again with the file's secret", async () => {
    server = await agent();
    vi.stubEnv("IDENTITY_ENDPOINT", `${server.origin}${TOKEN_PATH}`);
    vi.stubEnv("IMDS_ENDPOINT", server.origin);
    const token = await new ArcCredential({ tokenFolder }).getToken(SCOPE);
    expect(token.token).toBe("arc-token");

    expect(server.requests).toHaveLength(2);
    const [challenged, answered] = server.requests as [SeenRequest, SeenRequest];
    for (const request of [challenged, answered]) {
      expect(request.method).toBe("GET");
      expect(request.url.pathname).toBe(TOKEN_PATH);
      expect(query(request)).toEqual({ "api-version": "2020-06-01", resource: "https://vault.azure.net" });
      expect(request.headers["metadata"]).toBe("true");
      expect(request.body).toBe("");
    }
    expect(challenged.headers["authorization"]).toBeUndefined();
    expect(answered.headers["authorization"]).toBe(`Basic ${SECRET}`);
  });

  it.each([
    ["clientId", "client_id", "appid", "11111111-2222-3333-4444-555555555555"],
    ["objectId", "object_id", "oid", "66666666-7777-8888-9999-000000000000"],
    [
      "resourceId",
      "msi_res_id",
      "xms_mirid",
      "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
    ],
  ])("sends %s as %s and takes a token whose %s claim names it", async (option, parameter, claim, value) => {
    server = await agent(() => unsignedJwt({ [claim]: value }));
    const credential = new ArcCredential({ endpoint: `${server.origin}${TOKEN_PATH}`, tokenFolder, [option]: value });
    await credential.getToken(SCOPE);
    expect(server.requests.map(query)).toEqual([
      { "api-version": "2020-06-01", resource: "https://vault.azure.net", [parameter]: value },
      { "api-version": "2020-06-01", resource: "https://vault.azure.net", [parameter]: value },
    ]);
  });

  it("fails closed when the agent ignores the identity asked for, without showing the token", async () => {
    const systemToken = unsignedJwt({ appid: "system-assigned-app", secret: "SECRET-TOKEN-VALUE" });
    server = await agent(() => systemToken);
    const credential = new ArcCredential({
      endpoint: `${server.origin}${TOKEN_PATH}`,
      tokenFolder,
      clientId: "wanted-app",
    });
    const error = await failure(credential.getToken(SCOPE));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/appid claim is system-assigned-app/);
    expect(error.message).not.toContain(systemToken);
  });

  it("prefers the endpoint option to IDENTITY_ENDPOINT", async () => {
    server = await agent();
    const other = await startTokenServer(() => tokenAnswer());
    try {
      vi.stubEnv("IDENTITY_ENDPOINT", `${other.origin}${TOKEN_PATH}`);
      await new ArcCredential({ endpoint: `${server.origin}${TOKEN_PATH}`, tokenFolder }).getToken(SCOPE);
      expect(other.requests).toHaveLength(0);
      expect(server.requests).toHaveLength(2);
    } finally {
      await other.close();
    }
  });

  it.each([[""], ["  "]])(
    "counts IDENTITY_ENDPOINT=%j as unset: the agent's default loopback endpoint",
    async (value) => {
      vi.stubEnv("IDENTITY_ENDPOINT", value);
      const httpClient = recordingHttpClient();
      await new ArcCredential({ httpClient, tokenFolder }).getToken(SCOPE);
      const url = new URL(httpClient.requests[0]!.url);
      expect(`${url.origin}${url.pathname}`).toBe(`http://127.0.0.1:40342${TOKEN_PATH}`);
    },
  );

  it("refuses two identity options at once, at construction", () => {
    expect(() => new ArcCredential({ endpoint: "http://127.0.0.1:1", objectId: "a", resourceId: "/r" })).toThrow(
      TypeError,
    );
  });
});
