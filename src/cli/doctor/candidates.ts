import { readEnv } from "../../environment.js";
import { imdsSource } from "../../sources/imds.js";
import { environmentEndpoint, sourceByName, SOURCES } from "../../sources/index.js";
import type { ManagedIdentitySource, ManagedIdentitySourceName } from "../../sources/source.js";

/** An endpoint worth checking, and why. @internal */
export interface Candidate {
  source: ManagedIdentitySourceName;
  url: URL;
  why: string;
}

/** The endpoint a source would use, or, when its variables are only partly set, the URL one of them gives. */
function endpointOf(source: ManagedIdentitySource, env: NodeJS.ProcessEnv): URL | undefined {
  try {
    return environmentEndpoint(source, env);
  } catch {
    for (const name of source.detectedBy ?? []) {
      const value = readEnv(name, env);
      if (value === undefined || !/ENDPOINT$/.test(name)) continue;
      try {
        return new URL(value);
      } catch {
        // A malformed URL: the detection's reason says so.
      }
    }
    return undefined;
  }
}

/**
 * The endpoints the doctor checks: the one of the source in use first, then every source whose
 * variables are (even partly) set, and IMDS, the fallback, always. Workload identity's endpoint is
 * Microsoft Entra on the internet, reached through the proxy: the token attempt covers it. Each URL once.
 * @internal
 */
export function candidateEndpoints(
  inUse: { source: ManagedIdentitySourceName | "none"; endpoint?: string },
  env: NodeJS.ProcessEnv,
): Candidate[] {
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const add = (source: ManagedIdentitySourceName, url: URL | undefined, why: string): void => {
    if (url === undefined || source === "workloadidentity") return;
    const key = `${url.origin}${url.pathname}`;
    if (seen.has(key)) return;
    seen.add(key);
    candidates.push({ source, url, why });
  };

  if (inUse.source !== "none") {
    const source = sourceByName(inUse.source);
    add(
      inUse.source,
      inUse.endpoint !== undefined ? new URL(inUse.endpoint) : endpointOf(source, env),
      "the source in use",
    );
  }
  for (const source of SOURCES) {
    const set = (source.detectedBy ?? []).filter((name) => readEnv(name, env) !== undefined);
    if (source === imdsSource) {
      const host = readEnv("AZURE_POD_IDENTITY_AUTHORITY_HOST", env);
      add(
        source.name,
        endpointOf(source, env),
        host ? "AZURE_POD_IDENTITY_AUTHORITY_HOST is set" : "the fallback when nothing else is found",
      );
    } else if (set.length > 0) {
      add(source.name, endpointOf(source, env), `${set.join(" and ")} ${set.length === 1 ? "is" : "are"} set`);
    }
  }
  return candidates;
}

/**
 * Sources whose variables are set only in part, when no source's are complete: a half-configured
 * host, or variables copied from another machine.
 * @internal
 */
export function partlyConfigured(env: NodeJS.ProcessEnv): { source: string; set: string[]; missing: string[] }[] {
  return SOURCES.flatMap((source) => {
    const names = source.detectedBy ?? [];
    const set = names.filter((name) => readEnv(name, env) !== undefined);
    const missing = names.filter((name) => readEnv(name, env) === undefined);
    return set.length > 0 && missing.length > 0 ? [{ source: source.displayName, set, missing }] : [];
  });
}
