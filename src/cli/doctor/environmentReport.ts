import {
  AZURE_TOKEN_CREDENTIALS,
  describeTokenCredentialsSetting,
  readTokenCredentialsSetting,
} from "../../detection/azureTokenCredentials.js";
import { SOURCE_VARIABLES } from "../../sources/index.js";
import type { SourceVariable } from "../../sources/source.js";
import type { VariableReport } from "./report.js";

type Kind = SourceVariable["kind"];

/** The proxy settings other tools read (this package never proxies a managed identity request). */
const PROXY_VARIABLES: readonly [name: string, kind: Kind][] = [
  ["HTTP_PROXY", "url"],
  ["http_proxy", "url"],
  ["HTTPS_PROXY", "url"],
  ["https_proxy", "url"],
  ["NO_PROXY", "value"],
  ["no_proxy", "value"],
];

/**
 * Every variable that selects or configures a managed identity source (from the registry), the cross-SDK switch
 * AZURE_TOKEN_CREDENTIALS, then the proxy settings.
 */
const VARIABLES: readonly [name: string, kind: Kind][] = [
  ...SOURCE_VARIABLES.map((variable): [string, Kind] => [variable.name, variable.kind]),
  [AZURE_TOKEN_CREDENTIALS, "value"],
  ...PROXY_VARIABLES,
];

/**
 * What AZURE_TOKEN_CREDENTIALS does to managed identity here, in words (set or not, valid or not).
 * @internal
 */
export function tokenCredentialsEffect(env: NodeJS.ProcessEnv): string {
  try {
    return describeTokenCredentialsSetting(readTokenCredentialsSetting(env));
  } catch (error) {
    return `${(error as Error).message} ManagedIdentityChainCredential refuses it at construction.`;
  }
}

/**
 * A URL as it may be shown: a user name and password (a proxy's, or one pasted by mistake) and
 * the query (where a signed URL keeps its signature) are masked.
 * @internal
 */
export function showableUrl(value: string): string {
  // Without "//" the URL parser takes `alice:s3cret@proxy:3128` (which curl reads as a proxy) for the
  // scheme `alice:`, and a malformed URL does not parse at all: then everything before the last "@"
  // (after the scheme) is user info, masked.
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0];
  let url: URL | undefined;
  try {
    url = scheme === undefined ? undefined : new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined) {
    const at = value.lastIndexOf("@");
    return at < 0 ? value : `${scheme ?? ""}****${value.slice(at)}`;
  }
  if (url.username) url.username = "****";
  if (url.password) url.password = "****";
  if (url.search) url.search = "?****";
  return url.toString();
}

/**
 * The managed identity and proxy variables as they are set: names always, values for endpoints and
 * ids, never for secrets (`IDENTITY_HEADER`, `MSI_SECRET`).
 * @internal
 */
export function environmentReport(env: NodeJS.ProcessEnv): VariableReport[] {
  return VARIABLES.map(([name, kind]) => {
    const raw = env[name];
    const value = raw?.trim();
    if (value === undefined) return { name, set: false };
    if (value === "") return { name, set: false, empty: true };
    if (kind === "secret") return { name, set: true, secret: true };
    return { name, set: true, value: kind === "url" ? showableUrl(value) : value };
  });
}
