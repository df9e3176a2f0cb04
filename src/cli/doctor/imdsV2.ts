import { IMDS_TOKEN_PATH } from "../../sources/imds.js";
import { getStatus } from "./reachability.js";
import type { ImdsV2Check } from "./report.js";

/** IMDSv2's platform metadata path, the first step of its mTLS proof-of-possession flow (MSAL.NET). */
export const IMDS_V2_METADATA_PATH = "/metadata/identity/getplatformmetadata";
const IMDS_V2_QUERY = "cred-api-version=2.0";

/**
 * The IMDSv2 capability URL beside an IMDS token endpoint: the token path swapped for the platform
 * metadata path (kept under any prefix `AZURE_POD_IDENTITY_AUTHORITY_HOST` gives), with `cred-api-version=2.0`.
 * @internal
 */
export function imdsV2Url(tokenEndpoint: URL): string {
  const prefix = tokenEndpoint.pathname.endsWith(IMDS_TOKEN_PATH)
    ? tokenEndpoint.pathname.slice(0, -IMDS_TOKEN_PATH.length)
    : "";
  return `${tokenEndpoint.origin}${prefix}${IMDS_V2_METADATA_PATH}?${IMDS_V2_QUERY}`;
}

/**
 * Whether IMDS offers IMDSv2 (mTLS proof of possession), asked as MSAL.NET's probe asks it: one `GET` of the
 * platform metadata without the `Metadata` header, so IMDSv2 refuses it with 400 and an IMDSv1-only host,
 * which has no such path, answers 404. Anything else, or no answer within `timeoutMs`, is "unknown".
 * Diagnostics only: never on the token path, never retried. Never throws.
 * @internal
 */
export async function checkImdsV2(tokenEndpoint: URL, timeoutMs: number): Promise<ImdsV2Check> {
  const url = imdsV2Url(tokenEndpoint);
  const answer = await getStatus(url, timeoutMs);
  const verdict = answer.status === 400 ? "v2-capable" : answer.status === 404 ? "v1-only" : "unknown";
  return { ...answer, url, verdict };
}
