import type { ErrorResponse } from "../../errors.js";
import { performance } from "node:perf_hooks";
import type { ManagedIdentitySourceName } from "../../sources/source.js";
import { decodeJwtClaims } from "../../token/jwtClaims.js";
import { credentialForSource, type CredentialSettings } from "../credentialForSource.js";
import type { TokenAttemptReport, TokenClaims } from "./report.js";

const STRING_CLAIMS = ["aud", "iss", "oid", "appid", "xms_mirid", "tid"] as const;

/**
 * The claims that say whom a token is for and from which identity, with `exp` as ISO-8601.
 * The token itself goes nowhere.
 * @internal
 */
export function selectClaims(token: string): TokenClaims | undefined {
  const claims = decodeJwtClaims(token);
  if (claims === undefined) return undefined;
  const selected: TokenClaims = {};
  for (const name of STRING_CLAIMS) {
    const value = claims[name];
    if (typeof value === "string") selected[name] = value;
  }
  const exp = claims["exp"];
  if (typeof exp === "number" && Number.isFinite(exp)) selected.exp = new Date(exp * 1000).toISOString();
  return selected;
}

/**
 * One token request as an application would make it, bounded by `timeoutMs` and with few retries
 * (a diagnosis wants the endpoint's first real answer, not minutes of back-off). Never throws.
 * @internal
 */
export async function attemptToken(
  source: ManagedIdentitySourceName,
  scope: string,
  settings: CredentialSettings,
  timeoutMs: number,
): Promise<TokenAttemptReport> {
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  try {
    const credential = credentialForSource(source, {
      ...settings,
      retryOptions: { maxRetries: 1, retryDelayInMs: 200, tryTimeoutInMs: timeoutMs },
    });
    const token = await credential.getToken(scope, { requestOptions: { timeout: timeoutMs } });
    if (token === null) throw new Error("the credential gave no token");
    const claims = selectClaims(token.token);
    return {
      source,
      scope,
      ok: true,
      ms: ms(),
      expiresOn: new Date(token.expiresOnTimestamp).toISOString(),
      ...(claims ? { claims } : { opaque: true }),
    };
  } catch (error) {
    const { name, message, statusCode, code, errorResponse } = error as Error & {
      statusCode?: number;
      code?: unknown;
      errorResponse?: ErrorResponse;
    };
    return {
      source,
      scope,
      ok: false,
      ms: ms(),
      error: {
        name,
        message,
        ...(typeof statusCode === "number" ? { statusCode } : {}),
        ...(typeof code === "string" ? { code } : {}),
        ...(errorResponse !== undefined && typeof errorResponse === "object" ? { errorResponse } : {}),
      },
    };
  }
}
