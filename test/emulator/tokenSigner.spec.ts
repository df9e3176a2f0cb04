// The emulator's tokens are real RS256 JWTs, and the emulated Key Vault trusts only its own.
import { createPublicKey, verify } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { type EmulatedTokenClaims, TokenSigner } from "../../src/emulator/tokenSigner.js";

let signer: TokenSigner;
let other: TokenSigner;
beforeAll(async () => {
  [signer, other] = await Promise.all([TokenSigner.create(), TokenSigner.create()]);
});

const NOW = Date.UTC(2025, 5, 1, 12);
const claims = (overrides: Partial<EmulatedTokenClaims> = {}): EmulatedTokenClaims => ({
  aud: "https://vault.azure.net",
  iss: "https://sts.windows.net/tenant/",
  iat: NOW / 1000,
  nbf: NOW / 1000,
  exp: NOW / 1000 + 3600,
  tid: "tenant",
  oid: "object",
  sub: "object",
  ...overrides,
});
const VAULT = ["https://vault.azure.net"];

describe("TokenSigner", () => {
  it("signs an RS256 JWT that the published public key verifies", () => {
    const token = signer.sign(claims());
    const [header, payload, signature] = token.split(".") as [string, string, string];
    expect(JSON.parse(Buffer.from(header, "base64url").toString())).toEqual({
      typ: "JWT",
      alg: "RS256",
      kid: signer.kid,
    });
    expect(JSON.parse(Buffer.from(payload, "base64url").toString())).toMatchObject({
      ...claims(),
      ver: "1.0",
      uti: expect.any(String),
    });
    const key = createPublicKey(signer.publicKeyPem);
    expect(verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, "base64url"))).toBe(
      true,
    );
  });

  it("accepts its own token for the audience", () => {
    expect(signer.verify(signer.sign(claims()), VAULT, NOW)).toMatchObject({ valid: true, claims: { oid: "object" } });
  });

  it("refuses another signer's token, even with the same kid", () => {
    const forged = other.sign(claims());
    expect(signer.verify(forged, VAULT, NOW)).toEqual({
      valid: false,
      reason: "the token was not signed by this emulator",
    });
    const [, payload, signature] = forged.split(".");
    const header = Buffer.from(JSON.stringify({ typ: "JWT", alg: "RS256", kid: signer.kid })).toString("base64url");
    expect(signer.verify(`${header}.${payload}.${signature}`, VAULT, NOW)).toEqual({
      valid: false,
      reason: "the token's signature is invalid",
    });
  });

  it("refuses a token whose claims were changed after signing", () => {
    const [header, , signature] = signer.sign(claims()).split(".");
    const payload = Buffer.from(JSON.stringify(claims({ oid: "someone-else" }))).toString("base64url");
    expect(signer.verify(`${header}.${payload}.${signature}`, VAULT, NOW)).toMatchObject({
      valid: false,
      reason: "the token's signature is invalid",
    });
  });

  it("refuses another audience, an expired token and a token not yet valid (with 5 minutes of skew)", () => {
    expect(signer.verify(signer.sign(claims({ aud: "https://management.azure.com" })), VAULT, NOW)).toEqual({
      valid: false,
      reason: "invalid audience: expected https://vault.azure.net, found https://management.azure.com",
    });
    const token = signer.sign(claims());
    expect(signer.verify(token, VAULT, NOW + 3600_000 + 299_000).valid).toBe(true);
    expect(signer.verify(token, VAULT, NOW + 3600_000 + 301_000)).toEqual({
      valid: false,
      reason: "the token has expired",
    });
    expect(signer.verify(token, VAULT, NOW - 301_000)).toEqual({ valid: false, reason: "the token is not valid yet" });
  });

  it("refuses what is not a JWT", () => {
    expect(signer.verify("not-a-token", VAULT, NOW)).toEqual({ valid: false, reason: "the token is not a JWT" });
    expect(signer.verify("a.b.c", VAULT, NOW)).toEqual({ valid: false, reason: "the token is not a JWT" });
  });
});
