import { createHash, generateKeyPair, type KeyObject, randomUUID, sign, verify } from "node:crypto";
import { promisify } from "node:util";

/** The claims the emulator puts in a token, as Azure does in a managed identity token. */
export interface EmulatedTokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  tid: string;
  oid: string;
  sub: string;
  appid?: string;
  xms_mirid?: string;
  [claim: string]: unknown;
}

/** Why a token was refused, in Key Vault's words where it has them. */
export type TokenCheck = { valid: true; claims: EmulatedTokenClaims } | { valid: false; reason: string };

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * Signs tokens as RS256 JWTs with a key pair made at start, and verifies them: only a token this
 * signer made passes, so the emulated Key Vault accepts the emulator's tokens and nothing else.
 * @internal
 */
export class TokenSigner {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    /** The key id in every token's header. */
    readonly kid: string,
  ) {}

  /** Makes a fresh RSA key pair (2048 bits, generated off the main thread). */
  static async create(): Promise<TokenSigner> {
    const { privateKey, publicKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
    const kid = createHash("sha256")
      .update(publicKey.export({ type: "spki", format: "der" }))
      .digest("base64url")
      .slice(0, 27);
    return new TokenSigner(privateKey, publicKey, kid);
  }

  /** The public key, PEM, for anyone who wants to verify the emulator's tokens. */
  get publicKeyPem(): string {
    return this.publicKey.export({ type: "spki", format: "pem" }) as string;
  }

  /** A signed JWT with these claims and a unique `uti`. */
  sign(claims: EmulatedTokenClaims): string {
    const header = encode({ typ: "JWT", alg: "RS256", kid: this.kid });
    const payload = encode({ ...claims, uti: randomUUID().replace(/-/g, ""), ver: "1.0" });
    const signature = sign("RSA-SHA256", Buffer.from(`${header}.${payload}`), this.privateKey).toString("base64url");
    return `${header}.${payload}.${signature}`;
  }

  /**
   * Checks a token: the signature is this signer's, the audience is one of `audiences`, and it is
   * within its validity (with five minutes of clock skew, as Entra ID allows).
   */
  verify(token: string, audiences: string[], now = Date.now()): TokenCheck {
    const parts = token.split(".");
    if (parts.length !== 3) return { valid: false, reason: "the token is not a JWT" };
    const [header = "", payload = "", signature = ""] = parts;
    let claims: EmulatedTokenClaims;
    try {
      const head = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: string; kid?: string };
      if (head.alg !== "RS256" || head.kid !== this.kid)
        return { valid: false, reason: "the token was not signed by this emulator" };
      claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as EmulatedTokenClaims;
    } catch {
      return { valid: false, reason: "the token is not a JWT" };
    }
    if (
      !verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), this.publicKey, Buffer.from(signature, "base64url"))
    ) {
      return { valid: false, reason: "the token's signature is invalid" };
    }
    if (!audiences.includes(claims.aud)) {
      return { valid: false, reason: `invalid audience: expected ${audiences[0]}, found ${String(claims.aud)}` };
    }
    const seconds = Math.floor(now / 1000);
    const skew = 300;
    if (typeof claims.exp !== "number" || claims.exp + skew < seconds)
      return { valid: false, reason: "the token has expired" };
    if (typeof claims.nbf === "number" && claims.nbf - skew > seconds)
      return { valid: false, reason: "the token is not valid yet" };
    return { valid: true, claims };
  }
}
