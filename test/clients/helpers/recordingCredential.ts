import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";

/** One `getToken` call as a client made it. */
export interface GetTokenCall {
  scopes: string | string[];
  /** The options that matter to a managed identity: what the client asked for, nothing more. */
  options: { enableCae?: boolean; tenantId?: string; claims?: string };
}

/** A credential that passes every call to `inner` and records how the client called it. */
export interface RecordingCredential extends TokenCredential {
  calls: GetTokenCall[];
}

/**
 * Wraps one of our credentials to see each `getToken` call a client makes (scopes as given, the
 * CAE flag, a tenant, claims), so that a test can pin the client's calling convention.
 */
export function recordingCredential(inner: TokenCredential): RecordingCredential {
  const calls: GetTokenCall[] = [];
  return {
    calls,
    getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      calls.push({
        scopes: Array.isArray(scopes) ? [...scopes] : scopes,
        options: {
          ...(options?.enableCae !== undefined && { enableCae: options.enableCae }),
          ...(options?.tenantId !== undefined && { tenantId: options.tenantId }),
          ...(options?.claims !== undefined && { claims: options.claims }),
        },
      });
      return inner.getToken(scopes, options);
    },
  };
}
