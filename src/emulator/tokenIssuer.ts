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
 * Makes the tokens of every emulated source: the claims Azure puts in a managed identity token
 * (`aud` is the resource exactly as asked for, as Entra ID does), signed by the emulator's key.
 * @internal
 */
export class TokenIssuer {
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
