import { verify } from "node:crypto";
import type { Emulator } from "../../../src/emulator/index.js";

/** The claims of an emulator-signed token that a test checks. */
export interface VerifiedClaims {
  aud: string;
  appid: string;
  oid: string;
  exp: number;
  [claim: string]: unknown;
}

/**
 * Checks that `token` was signed by this emulator (RS256 with its key) and returns its claims: the
 * fake service's proof that the token came through our credential from the emulated source.
 * Throws when the signature does not verify.
 */
export function verifiedClaims(emulator: Emulator, token: string | undefined): VerifiedClaims {
  const [header, payload, signature] = (token ?? "").split(".");
  if (!header || !payload || !signature) throw new Error("not a JWT");
  const signed = Buffer.from(`${header}.${payload}`);
  if (!verify("RSA-SHA256", signed, emulator.tokenSigningKey, Buffer.from(signature, "base64url")))
    throw new Error("the token's signature is not the emulator's");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as VerifiedClaims;
}

/** The `resource` of each token request the emulator answered at one endpoint, in order, with its status. */
export function tokenRequestsAt(emulator: Emulator, endpoint: string): { resource: string | null; outcome: unknown }[] {
  return emulator.requests
    .filter((record) => record.endpoint === endpoint)
    .map((record) => ({
      resource: new URL(record.path, "http://emulator").searchParams.get("resource"),
      outcome: record.outcome,
    }));
}
