import type { UserAssignedIdentity } from "../userAssignedIdentity.js";

/**
 * The claims of a JWT, without checking its signature (the token came from the local endpoint;
 * this is for checking which identity it names, and for diagnostics). `undefined` if it is not a JWT.
 * @internal
 */
export function decodeJwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    return typeof claims === "object" && claims !== null && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const CLAIM_OF: Record<UserAssignedIdentity["kind"], string> = {
  clientId: "appid",
  objectId: "oid",
  resourceId: "xms_mirid",
};

/**
 * Whether a token's claims name the identity asked for (`appid`, `oid` or `xms_mirid`; ids compare
 * case-insensitively, as Azure does). The claim it found is returned for the error message.
 * @internal
 */
export function claimsMatchIdentity(
  claims: Record<string, unknown> | undefined,
  identity: UserAssignedIdentity,
): { matches: boolean; claim: string; found: string | undefined } {
  const claim = CLAIM_OF[identity.kind];
  const value = claims?.[claim] ?? (identity.kind === "clientId" ? claims?.["azp"] : undefined);
  const found = typeof value === "string" ? value : undefined;
  return { matches: found !== undefined && found.toLowerCase() === identity.value.toLowerCase(), claim, found };
}
