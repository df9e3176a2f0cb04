import type { ErrorResponse } from "../../errors.js";
import type { ManagedIdentitySourceName } from "../../sources/source.js";

/** One environment variable as the doctor reports it: values of secrets never appear. @internal */
export interface VariableReport {
  name: string;
  /** Set and not empty (an empty variable counts as unset, as everywhere in this package). */
  set: boolean;
  /** The value, for variables that are not secrets; a proxy URL's password is masked. */
  value?: string;
  /** The variable holds a secret: its value is not shown. */
  secret?: boolean;
  /** Set to an empty string, which counts as unset. */
  empty?: boolean;
}

/** One timed check: did it work, how long it took, what happened. @internal */
export interface TimedCheck {
  ok: boolean;
  ms: number;
  /** The HTTP status answered, for an HTTP check. */
  status?: number;
  /** What went wrong, or what was seen. */
  detail?: string;
}

/**
 * IMDS only: whether it offers IMDSv2 (mTLS proof of possession), from one `GET` of its platform metadata
 * without the `Metadata` header: 400 `v2-capable`, 404 `v1-only`, anything else or no answer `unknown`.
 * @internal
 */
export interface ImdsV2Check extends TimedCheck {
  verdict: "v2-capable" | "v1-only" | "unknown";
  /** The URL asked. */
  url: string;
}

/** One candidate endpoint and how it answered. @internal */
export interface EndpointReport {
  source: ManagedIdentitySourceName;
  url: string;
  /** Why it is a candidate: the detected source, its variables set, or the fallback. */
  why: string;
  /** Connecting to its port. */
  tcp?: TimedCheck;
  /** A plain GET without any secret or Metadata header: any answer means something listens. */
  http?: TimedCheck;
  /** IMDS only: the detection's own probe. */
  probe?: TimedCheck;
  /** IMDS only: whether it offers IMDSv2. */
  imdsV2?: ImdsV2Check;
}

/** The token's claims the doctor shows: who the token is for and from whom; never the token. @internal */
export interface TokenClaims {
  aud?: string;
  iss?: string;
  oid?: string;
  appid?: string;
  xms_mirid?: string;
  tid?: string;
  /** The expiry, as ISO-8601. */
  exp?: string;
}

/** The token attempt. @internal */
export interface TokenAttemptReport {
  source: ManagedIdentitySourceName;
  scope: string;
  ok: boolean;
  ms: number;
  expiresOn?: string;
  claims?: TokenClaims;
  /** The token is not a JWT, so there are no claims to show. */
  opaque?: boolean;
  /**
   * What the credential threw: `code` is the error's stable code (`CredentialUnavailableError`,
   * `AuthenticationError`), `errorResponse` the endpoint's own fields (`AuthenticationError`).
   */
  error?: { name: string; message: string; statusCode?: number; code?: string; errorResponse?: ErrorResponse };
}

/** A problem found, with its likely cause and the fix. @internal */
export interface Finding {
  /** A stable identifier, for scripts. */
  id: string;
  severity: "error" | "warning";
  summary: string;
  cause: string;
  fix: string;
}

/** Everything `doctor` found. @internal */
export interface DoctorReport {
  environment: VariableReport[];
  /** What AZURE_TOKEN_CREDENTIALS does to managed identity here, in words. */
  tokenCredentials?: string;
  detection: {
    source: ManagedIdentitySourceName | "none";
    endpoint?: string;
    reason: string;
    /** Why the endpoint of the source found is unusable, when it is. */
    unusable?: string;
    ms: number;
  };
  endpoints: EndpointReport[];
  /** Azure Arc only: whether this process may enter the agent's token folder. */
  arcTokenFolder?: { path: string; ok: boolean; detail: string };
  /** Absent when there was nothing to try. */
  token?: TokenAttemptReport;
  findings: Finding[];
  outcome: "token" | "token-failed" | "nothing-found";
  exitCode: number;
  /** How long the doctor took, in milliseconds. */
  ms: number;
}
