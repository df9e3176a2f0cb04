// The emulated IMDS answers like the real one: the checks it makes, in order, its error shape, and
// the token answer (every number a string) with a JWT whose claims name the identity asked for.
import { createPublicKey, verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { claimsOf, rawRequest, withQuery } from "../helpers/rawRequest.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ sources: ["imds"] });
});
afterAll(() => emulator.close());

const META = { Metadata: "true" };
const token = (query: Record<string, string>, headers: Record<string, string> = META) =>
  rawRequest(withQuery(emulator.endpoints.imds!, query), { headers });
const VAULT = { "api-version": "2018-02-01", resource: "https://vault.azure.net" };

describe("emulated IMDS", () => {
  it("gives a system-assigned token in IMDS's shape", async () => {
    const before = Math.floor(Date.now() / 1000);
    const answer = await token(VAULT);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    const body = answer.json!;
    expect(Object.keys(body).sort()).toEqual(
      [
        "access_token",
        "client_id",
        "expires_in",
        "expires_on",
        "ext_expires_in",
        "not_before",
        "resource",
        "token_type",
      ].sort(),
    );
    for (const field of ["expires_in", "expires_on", "not_before"]) expect(body[field]).toMatch(/^\d+$/);
    expect(body).toMatchObject({ resource: "https://vault.azure.net", token_type: "Bearer", expires_in: "86400" });
    expect(Number(body["expires_on"])).toBeGreaterThanOrEqual(before + 86400);

    const system = emulator.identities.systemAssigned!;
    const claims = claimsOf(body["access_token"]);
    expect(claims).toMatchObject({
      aud: "https://vault.azure.net",
      iss: `https://sts.windows.net/${emulator.identities.tenantId}/`,
      tid: emulator.identities.tenantId,
      appid: system.clientId,
      oid: system.objectId,
      xms_mirid: system.resourceId,
      exp: Number(body["expires_on"]),
      nbf: Number(body["not_before"]),
    });
    expect(body["client_id"]).toBe(system.clientId);
    expect(claims["iat"]).toBe(claims["nbf"]);
  });

  it("signs the token with the key it publishes", async () => {
    const accessToken = String((await token(VAULT)).json!["access_token"]);
    const [header, payload, signature] = accessToken.split(".") as [string, string, string];
    const key = createPublicKey(emulator.tokenSigningKey);
    expect(verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, "base64url"))).toBe(
      true,
    );
  });

  it("puts the resource in aud exactly as asked for", async () => {
    const answer = await token({ ...VAULT, resource: "https://management.azure.com/" });
    expect(claimsOf(answer.json!["access_token"])["aud"]).toBe("https://management.azure.com/");
  });

  it.each([
    ["client_id", "clientId"],
    ["object_id", "objectId"],
    ["msi_res_id", "resourceId"],
  ] as const)("gives the user-assigned identity named by %s (case-insensitively)", async (parameter, kind) => {
    const identity = emulator.identities.userAssigned[0]!;
    const answer = await token({ ...VAULT, [parameter]: identity[kind].toUpperCase() });
    expect(answer.status).toBe(200);
    expect(claimsOf(answer.json!["access_token"])).toMatchObject({
      appid: identity.clientId,
      oid: identity.objectId,
      xms_mirid: identity.resourceId,
    });
  });

  it("answers 400 'Identity not found' for an identity the host does not have", async () => {
    const answer = await token({ ...VAULT, client_id: "00000000-0000-0000-0000-00000000dead" });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: "invalid_request", error_description: "Identity not found" });
  });

  it("refuses two identity parameters at once", async () => {
    const identity = emulator.identities.userAssigned[0]!;
    const answer = await token({ ...VAULT, client_id: identity.clientId, object_id: identity.objectId });
    expect(answer.status).toBe(400);
  });

  it("answers 400 without the Metadata header, as the @azure/identity probe relies on", async () => {
    const answer = await rawRequest(emulator.endpoints.imds!);
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      error: "invalid_request",
      error_description: "Required metadata header not specified",
    });
    expect((await token(VAULT, { Metadata: "false" })).status).toBe(400);
  });

  it("requires api-version, and resource", async () => {
    expect((await token({ resource: "https://vault.azure.net" })).json).toEqual({
      error: "invalid_request",
      error_description: "Required query variable 'api-version' is missing",
    });
    expect((await token({ "api-version": "yesterday", resource: "https://vault.azure.net" })).status).toBe(400);
    expect((await token({ "api-version": "2018-02-01" })).json).toEqual({
      error: "invalid_request",
      error_description: "Required audience parameter not specified",
    });
  });

  it("refuses a scope sent as a resource, as Entra ID does", async () => {
    const answer = await token({ ...VAULT, resource: "https://vault.azure.net/.default" });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({
      error: "invalid_resource",
      error_description: expect.stringContaining("AADSTS500011"),
    });
  });

  // Entra ID's answer to a resource it does not know, as IMDS passes it on: 400 invalid_resource with
  // AADSTS500011 in Entra's words (MicrosoftDocs/SupportArticles-docs, Exchange/ExchangeHybrid/
  // administration/outlook-does-not-connect-with-modern-authentication.md, the recorded 400 answer).
  it.each(["b", "vault", "vault.azure.net", " ", "https://"])(
    "refuses a resource that is neither an absolute URI nor an app ID (%j): 400 invalid_resource AADSTS500011",
    async (resource) => {
      const answer = await token({ ...VAULT, resource });
      expect(answer.status).toBe(400);
      expect(answer.json!["error"]).toBe("invalid_resource");
      const [sentence, trace, correlation, timestamp, ...rest] = String(answer.json!["error_description"]).split(
        "\r\n",
      );
      expect(sentence).toBe(
        `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${emulator.identities.tenantId}. ` +
          "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
          "You might have sent your authentication request to the wrong tenant.",
      );
      expect(trace).toMatch(/^Trace ID: [0-9a-f-]{36}$/);
      expect(correlation).toMatch(/^Correlation ID: [0-9a-f-]{36}$/);
      expect(timestamp).toMatch(/^Timestamp: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
      expect(rest).toEqual([]);
    },
  );

  it.each([
    "https://vault.azure.net",
    "api://11111111-2222-3333-4444-555555555555",
    "00000003-0000-0000-c000-000000000000",
  ])("gives a token for an absolute URI, an api:// app ID URI or an app ID (%s)", async (resource) => {
    expect((await token({ ...VAULT, resource })).status).toBe(200);
  });

  it("refuses a request that came through a proxy", async () => {
    const answer = await token(VAULT, { ...META, "X-Forwarded-For": "10.0.0.1" });
    expect(answer.status).toBe(400);
  });

  it("accepts the token path with a trailing slash, as msal-node sends it", async () => {
    expect((await rawRequest(withQuery(`${emulator.endpoints.imds!}/`, VAULT), { headers: META })).status).toBe(200);
  });

  it("knows only its token path and GET", async () => {
    expect(
      (await rawRequest(`${new URL(emulator.endpoints.imds!).origin}/metadata/instance`, { headers: META })).status,
    ).toBe(404);
    expect(
      (await rawRequest(withQuery(emulator.endpoints.imds!, VAULT), { method: "POST", headers: META })).status,
    ).toBe(405);
  });
});

describe("an IMDS host with no system-assigned identity", () => {
  it("answers 400 'Identity not found' when none is named", async () => {
    const bare = await startEmulator({ sources: ["imds"], identities: { systemAssigned: null } });
    try {
      const answer = await rawRequest(withQuery(bare.endpoints.imds!, VAULT), { headers: META });
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error: "invalid_request", error_description: "Identity not found" });
      const user = bare.identities.userAssigned[0]!;
      expect(
        (await rawRequest(withQuery(bare.endpoints.imds!, { ...VAULT, client_id: user.clientId }), { headers: META }))
          .status,
      ).toBe(200);
    } finally {
      await bare.close();
    }
  });
});

describe("an emulator told of resources its tenant does not know", () => {
  it("answers them 400 invalid_resource AADSTS500011 at every token endpoint, case and trailing slash aside", async () => {
    const account = "https://myaccount.documents.azure.com";
    const told = await startEmulator({
      sources: ["imds", "cloudshell", "appservice"],
      unknownResources: [`${account}/`],
    });
    try {
      const imds = await rawRequest(
        withQuery(told.endpoints.imds!, { "api-version": "2018-02-01", resource: account.toUpperCase() }),
        { headers: META },
      );
      expect(imds.status).toBe(400);
      expect(imds.json).toMatchObject({
        error: "invalid_resource",
        error_description: expect.stringMatching(
          `^AADSTS500011: The resource principal named ${account.toUpperCase()} was not found`,
        ),
      });
      const cloudShell = await rawRequest(told.endpoints.cloudshell!, {
        method: "POST",
        headers: { ...META, "Content-Type": "application/x-www-form-urlencoded" },
        body: `resource=${encodeURIComponent(account)}`,
      });
      expect(cloudShell.status).toBe(400);
      expect(cloudShell.json!["error"]).toBe("invalid_resource");
      const appService = await rawRequest(
        withQuery(told.endpoints.appservice!, { "api-version": "2019-08-01", resource: account }),
        { headers: { "X-IDENTITY-HEADER": told.env.appservice!["IDENTITY_HEADER"]! } },
      );
      expect(appService.status).toBe(400);
      expect(String(appService.json!["message"])).toMatch(/^AADSTS500011: /);
      // Any other resource still gets its token.
      const other = await rawRequest(
        withQuery(told.endpoints.imds!, { "api-version": "2018-02-01", resource: "https://cosmos.azure.com" }),
        { headers: META },
      );
      expect(other.status).toBe(200);
    } finally {
      await told.close();
    }
  });
});
