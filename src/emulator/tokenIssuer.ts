import type { EmulatedIdentities, EmulatedIdentity } from "./identities.js";
import type { EmulatedTokenClaims, TokenSigner } from "./tokenSigner.js";

/** A token the emulator made, with the times its answers report. @internal */
export interface IssuedToken {
  accessToken: string;
  claims: EmulatedTokenClaims;
  /** Seconds since the epoch. */
  expiresOn: number;
  /** Seconds since the epoch. */
  notBefore: number;
  /** Seconds. */
  expiresIn: number;
}

/**
 * What a token endpoint asks for its tokens: the emulator's own signed tokens ({@link TokenIssuer}), or the
 * developer's from the Azure CLI.
 * @internal
 */
export interface TokenSource {
  readonly identities: EmulatedIdentities;
  /** Set when every token is one person's (the Azure CLI's): why a request for a user-assigned identity is refused. */
  readonly userAssignedRefusal?: string;
  /** A token for the identity; rejects with {@link TokenRefusal} when the source cannot give one. */
  forIdentity(identity: EmulatedIdentity, resource: string): IssuedToken | Promise<IssuedToken>;
}

/**
 * The token source could not give a token (the Azure CLI is not signed in, failed or hung): the endpoint answers
 * `status` with `description` in its own error shape.
 * @internal
 */
export class TokenRefusal extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
  ) {
    super(description);
    this.name = "TokenRefusal";
  }
}

/**
 * A token from the source, or the refusal the endpoint answers with in its own error shape.
 * @internal
 */
export async function issueToken(
  tokens: TokenSource,
  identity: EmulatedIdentity,
  resource: string,
): Promise<IssuedToken | TokenRefusal> {
  try {
    return await tokens.forIdentity(identity, resource);
  } catch (error) {
    if (error instanceof TokenRefusal) return error;
    throw error;
  }
}

/**
 * Makes the tokens of every emulated source: the claims Azure puts in a managed identity token
 * (`aud` is the resource exactly as asked for, as Entra ID does), signed by the emulator's key.
 * @internal
 */
export class TokenIssuer implements TokenSource {
  constructor(
    private readonly signer: TokenSigner,
    readonly identities: EmulatedIdentities,
    private readonly lifetimeSeconds: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  private issue(resource: string, subject: { oid: string; sub: string; [claim: string]: unknown }): IssuedToken {
    const iat = Math.floor(this.now() / 1000);
    const tid = this.identities.tenantId;
    const claims: EmulatedTokenClaims = {
      aud: resource,
      iss: `https://sts.windows.net/${tid}/`,
      iat,
      nbf: iat,
      exp: iat + this.lifetimeSeconds,
      tid,
      idp: `https://sts.windows.net/${tid}/`,
      ...subject,
    };
    return {
      accessToken: this.signer.sign(claims),
      claims,
      expiresOn: claims.exp,
      notBefore: claims.nbf,
      expiresIn: this.lifetimeSeconds,
    };
  }

  /** A managed identity token: `appid`, `oid`, `sub`, `xms_mirid`. */
  forIdentity(identity: EmulatedIdentity, resource: string): IssuedToken {
    return this.issue(resource, {
      appid: identity.clientId,
      appidacr: "2",
      oid: identity.objectId,
      sub: identity.objectId,
      xms_mirid: identity.resourceId,
    });
  }

  /** A user token, as Cloud Shell gives for its signed-in user. */
  forCloudShellUser(resource: string): IssuedToken {
    const user = this.identities.cloudShellUser;
    return this.issue(resource, {
      appid: user.clientId,
      appidacr: "0",
      oid: user.objectId,
      sub: user.objectId,
      upn: user.upn,
      scp: "user_impersonation",
    });
  }
}
