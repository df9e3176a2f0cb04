import { readEnv } from "../../environment.js";
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
      const isUrl = source.variables.some((variable) => variable.name === name && variable.kind === "url");
      if (value === undefined || !isUrl) continue;
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
 * variables are (even partly) set, and the fallback (IMDS), always. A source whose endpoint is not on this machine
 * (workload identity's Microsoft Entra, reached through the proxy) is left to the token attempt. Each URL once.
 * @internal
 */
export function candidateEndpoints(
  inUse: { source: ManagedIdentitySourceName | "none"; endpoint?: string },
  env: NodeJS.ProcessEnv,
): Candidate[] {
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const add = (source: ManagedIdentitySourceName, url: URL | undefined, why: string): void => {
    if (url === undefined || sourceByName(source).remoteEndpoint === true) return;
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
  const isSet = (names: string[]): string => `${names.join(" and ")} ${names.length === 1 ? "is" : "are"} set`;
  for (const source of SOURCES) {
    const isFallback = source.detectedBy === undefined && source.detect === undefined;
    if (isFallback) {
      // Checked always; what it reads (IMDS's host variable) is said when set.
      const set = source.variables.map((variable) => variable.name).filter((name) => readEnv(name, env) !== undefined);
      add(
        source.name,
        endpointOf(source, env),
        set.length > 0 ? isSet(set) : "the fallback when nothing else is found",
      );
    } else {
      const set = (source.detectedBy ?? []).filter((name) => readEnv(name, env) !== undefined);
      if (set.length > 0) add(source.name, endpointOf(source, env), isSet(set));
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
