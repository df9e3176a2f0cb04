// The emulated Key Vault over HTTPS: Key Vault's bearer challenge, then only the emulator's own tokens
// for https://vault.azure.net, and the secret in Key Vault's JSON shape.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { TokenSigner } from "../../src/emulator/tokenSigner.js";
import { rawRequest, withQuery } from "../helpers/rawRequest.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ sources: ["imds"], secrets: { "db-password": "s3cret", other: "x" } });
});
afterAll(() => emulator.close());

const secretUrl = (path = "secrets/db-password") =>
  withQuery(new URL(path, emulator.keyVaultUrl).href, { "api-version": "7.5" });
const get = (url: string, headers: Record<string, string> = {}) => rawRequest(url, { headers, ca: emulator.ca });

async function imdsToken(resource: string): Promise<string> {
  const answer = await rawRequest(withQuery(emulator.endpoints.imds!, { "api-version": "2018-02-01", resource }), {
    headers: { Metadata: "true" },
  });
  return String(answer.json!["access_token"]);
}

describe("emulated Key Vault", () => {
  it("is served over HTTPS with the certificate it publishes", async () => {
    expect(emulator.keyVaultUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    expect(emulator.ca).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    await expect(rawRequest(secretUrl())).rejects.toMatchObject({ code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
  });

  it("answers a request without a token with Key Vault's bearer challenge", async () => {
    const answer = await get(secretUrl());
    expect(answer.status).toBe(401);
    expect(answer.headers["www-authenticate"]).toBe(
      `Bearer authorization="https://login.microsoftonline.com/${emulator.identities.tenantId}", resource="https://vault.azure.net"`,
    );
    expect(answer.json).toEqual({
      error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." },
    });
  });

  it("gives the secret for an emulator token for https://vault.azure.net", async () => {
    const answer = await get(secretUrl(), { Authorization: `Bearer ${await imdsToken("https://vault.azure.net")}` });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      value: "s3cret",
      id: expect.stringMatching(new RegExp(`^${emulator.keyVaultUrl}secrets/db-password/[0-9a-f]{32}$`)),
      attributes: {
        enabled: true,
        created: expect.any(Number),
        updated: expect.any(Number),
        recoveryLevel: "Recoverable+Purgeable",
      },
    });
    const version = String(answer.json!["id"]).split("/").pop()!;
    const byVersion = await get(secretUrl(`secrets/db-password/${version}`), {
      Authorization: `Bearer ${await imdsToken("https://vault.azure.net/")}`,
    });
    expect(byVersion.json!["value"]).toBe("s3cret");
  });

  it("refuses a token for another resource, with the challenge again", async () => {
    const answer = await get(secretUrl(), {
      Authorization: `Bearer ${await imdsToken("https://management.azure.com")}`,
    });
    expect(answer.status).toBe(401);
    expect(answer.headers["www-authenticate"]).toContain('resource="https://vault.azure.net"');
    expect(JSON.stringify(answer.json)).toContain("invalid audience");
  });

  it("refuses a token it did not sign", async () => {
    const stranger = await TokenSigner.create();
    const now = Math.floor(Date.now() / 1000);
    const forged = stranger.sign({
      aud: "https://vault.azure.net",
      iss: "x",
      iat: now,
      nbf: now,
      exp: now + 3600,
      tid: "t",
      oid: "o",
      sub: "o",
    });
    const answer = await get(secretUrl(), { Authorization: `Bearer ${forged}` });
    expect(answer.status).toBe(401);
    expect(JSON.stringify(answer.json)).toContain("not signed by this emulator");
    expect((await get(secretUrl(), { Authorization: "Basic abc" })).status).toBe(401);
  });

  it("answers 404 SecretNotFound for a secret or version it does not have", async () => {
    const auth = { Authorization: `Bearer ${await imdsToken("https://vault.azure.net")}` };
    expect((await get(secretUrl("secrets/missing"), auth)).json).toMatchObject({ error: { code: "SecretNotFound" } });
    expect((await get(secretUrl(`secrets/db-password/${"0".repeat(32)}`), auth)).status).toBe(404);
  });

  it("requires api-version and serves only GET /secrets/{name}", async () => {
    expect((await get(new URL("secrets/db-password", emulator.keyVaultUrl).href)).status).toBe(400);
    expect((await get(secretUrl("keys/k"))).status).toBe(404);
    expect((await rawRequest(secretUrl(), { method: "DELETE", ca: emulator.ca })).status).toBe(405);
  });
});
