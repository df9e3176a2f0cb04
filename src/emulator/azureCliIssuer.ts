import type { AzureCliTokens } from "./azureCliTokens.js";
import type { EmulatedIdentities } from "./identities.js";
import type { IssuedToken, TokenSource } from "./tokenIssuer.js";
import type { EmulatedTokenClaims } from "./tokenSigner.js";

/** The identity every Azure CLI token is for: the developer, whose ids the emulator does not know beforehand. */
const DEVELOPER = { clientId: "azure-cli", objectId: "azure-cli", resourceId: "azure-cli" };

/** A JWT's claims, or none when the token is not a JWT (a few resources' tokens are opaque). */
function claimsOf(token: string): Partial<EmulatedTokenClaims> {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as EmulatedTokenClaims;
  } catch {
    return {};
  }
}

/**
 * The token endpoints' source in the Azure CLI mode: every token is the signed-in developer's, from
 * `az account get-access-token`. No user-assigned identity can be served (an Azure CLI token is the developer's),
 * so a request for one is refused with a message that says so.
 * @internal
 */
export class AzureCliIssuer implements TokenSource {
  readonly identities: EmulatedIdentities;
  readonly userAssignedRefusal =
    "The emulator serves the Azure CLI's signed-in identity (azure-managed-identity emulate --tokens-from azure-cli): a user-assigned identity cannot be served. Run without a clientId/objectId/resourceId option locally.";

  constructor(
    private readonly tokens: AzureCliTokens,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.identities = {
      tenantId: "organizations",
      systemAssigned: DEVELOPER,
      userAssigned: [],
      cloudShellUser: { objectId: DEVELOPER.objectId, upn: "azure-cli", clientId: DEVELOPER.clientId },
    };
  }

  async forIdentity(_identity: unknown, resource: string): Promise<IssuedToken> {
    const token = await this.tokens.get(resource);
    const now = Math.floor(this.now() / 1000);
    const claims = claimsOf(token.accessToken);
    return {
      accessToken: token.accessToken,
      claims: claims as EmulatedTokenClaims,
      expiresOn: token.expiresOn,
      notBefore: typeof claims.nbf === "number" ? claims.nbf : now,
      expiresIn: Math.max(0, token.expiresOn - now),
    };
  }
}
