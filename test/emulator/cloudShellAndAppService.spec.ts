// The emulated Cloud Shell (form POST, a user token) and App Service (X-IDENTITY-HEADER,
// api-version 2019-08-01, expires_on as epoch seconds in a string) endpoints.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { claimsOf, rawRequest, withQuery } from "../helpers/rawRequest.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({
    sources: ["cloudshell", "appservice"],
    appService: { identityHeader: "the-identity-header" },
  });
});
afterAll(() => emulator.close());

const FORM = { Metadata: "true", "Content-Type": "application/x-www-form-urlencoded" };

describe("emulated Cloud Shell", () => {
  it("gives the signed-in user's token for a form POST", async () => {
    const answer = await rawRequest(emulator.endpoints.cloudshell!, {
      method: "POST",
      headers: FORM,
      body: "resource=https%3A%2F%2Fvault.azure.net",
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      resource: "https://vault.azure.net",
      token_type: "Bearer",
      expires_on: expect.stringMatching(/^\d+$/),
    });
    const user = emulator.identities.cloudShellUser;
    const claims = claimsOf(answer.json!["access_token"]);
    expect(claims).toMatchObject({
      aud: "https://vault.azure.net",
      oid: user.objectId,
      upn: user.upn,
      tid: emulator.identities.tenantId,
    });
    expect(claims["xms_mirid"]).toBeUndefined();
  });

  it("requires POST, the Metadata header and a resource", async () => {
    expect((await rawRequest(emulator.endpoints.cloudshell!, { headers: FORM })).status).toBe(405);
    const noMetadata = await rawRequest(emulator.endpoints.cloudshell!, { method: "POST", body: "resource=r" });
    expect(noMetadata.json).toEqual({
      error: "invalid_request",
      error_description: "Required metadata header not specified",
    });
    expect((await rawRequest(emulator.endpoints.cloudshell!, { method: "POST", headers: FORM, body: "" })).status).toBe(
      400,
    );
  });
});

describe("emulated App Service", () => {
  const url = (query: Record<string, string>) => withQuery(emulator.endpoints.appservice!, query);
  const HEADER = { "X-IDENTITY-HEADER": "the-identity-header" };
  const QUERY = { "api-version": "2019-08-01", resource: "https://vault.azure.net" };

  it("points IDENTITY_ENDPOINT and IDENTITY_HEADER at itself", () => {
    expect(emulator.env.appservice).toEqual({
      IDENTITY_ENDPOINT: emulator.endpoints.appservice,
      IDENTITY_HEADER: "the-identity-header",
    });
  });

  it("gives a token with expires_on as epoch seconds in a string, and client_id", async () => {
    const answer = await rawRequest(url(QUERY), { headers: HEADER });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json!).sort()).toEqual([
      "access_token",
      "client_id",
      "expires_on",
      "resource",
      "token_type",
    ]);
    expect(answer.json!["expires_on"]).toMatch(/^\d{10}$/);
    expect(answer.json!["client_id"]).toBe(emulator.identities.systemAssigned!.clientId);
  });

  it.each([
    ["client_id", "clientId"],
    ["principal_id", "objectId"],
    ["mi_res_id", "resourceId"],
  ] as const)("takes %s for a user-assigned identity", async (parameter, kind) => {
    const identity = emulator.identities.userAssigned[0]!;
    const answer = await rawRequest(url({ ...QUERY, [parameter]: identity[kind] }), { headers: HEADER });
    expect(claimsOf(answer.json!["access_token"])["oid"]).toBe(identity.objectId);
  });

  it("refuses a missing or wrong X-IDENTITY-HEADER in App Service's error shape", async () => {
    const wrong: Record<string, string>[] = [
      {},
      { "X-IDENTITY-HEADER": "the-identity-heade" },
      { "X-IDENTITY-HEADER": "the-identity-headeR" },
    ];
    for (const headers of wrong) {
      const answer = await rawRequest(url(QUERY), { headers });
      expect(answer.status).toBe(401);
      expect(answer.json).toMatchObject({
        statusCode: 401,
        message: expect.stringContaining("X-IDENTITY-HEADER"),
        correlationId: expect.any(String),
      });
    }
  });

  it("requires api-version 2019-08-01 and a resource; 400 for an unknown identity", async () => {
    expect((await rawRequest(url({ ...QUERY, "api-version": "2017-09-01" }), { headers: HEADER })).status).toBe(400);
    expect((await rawRequest(url({ "api-version": "2019-08-01" }), { headers: HEADER })).status).toBe(400);
    const unknown = await rawRequest(url({ ...QUERY, client_id: "nobody" }), { headers: HEADER });
    expect(unknown.json).toMatchObject({ statusCode: 400, message: "Unable to load the proper Managed Identity." });
  });
});
