import type { HttpClient } from "@azure/core-rest-pipeline";
import { readEnv } from "../environment.js";
import { checkWholeNumber, MILLISECONDS_RANGE } from "../optionChecks.js";
import { appServiceSource } from "../sources/appService.js";
import { arcSource } from "../sources/arc/arcSource.js";
import { azureMlSource } from "../sources/azureMl.js";
import { cloudShellSource } from "../sources/cloudShell.js";
import { imdsSource } from "../sources/imds.js";
import { serviceFabricSource } from "../sources/serviceFabric.js";
import type { ManagedIdentitySource, ManagedIdentitySourceName } from "../sources/source.js";
import { workloadIdentitySource } from "../sources/workloadIdentity.js";
import { defaultArcAgentPath, isArcAgentInstalled } from "../sources/arc/arcAgent.js";
import { probeImds } from "./imdsProbe.js";

/**
 * Options of {@link detectManagedIdentity}.
 */
export interface DetectManagedIdentityOptions {
  /** The environment to read. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Whether to probe IMDS when nothing else matches. Default: `true`; when `false`, IMDS is assumed. */
  probe?: boolean;
  /** How long the IMDS probe waits for an answer: a whole number of milliseconds up to 2^31-1. Default (and 0): 1000 ms. */
  probeTimeoutMs?: number;
  /**
   * The Azure Arc agent's executable, whose presence means an Arc-enabled server. Default:
   * `/opt/azcmagent/bin/himds`, or `%ProgramFiles%\AzureConnectedMachineAgent\himds.exe` on Windows.
   */
  arcAgentPath?: string;
  /** The HTTP client of the IMDS probe. */
  httpClient?: HttpClient;
}

/**
 * Which managed identity source this machine offers, and why.
 */
export interface ManagedIdentityDetection {
  /** The source, or `"none"` when nothing was found. */
  source: ManagedIdentitySourceName | "none";
  /** The token endpoint the source would use, without query; `undefined` for `"none"` or a malformed one. */
  endpoint: string | undefined;
  /** Why: the variables that selected the source, or everything that was checked. */
  reason: string;
}

/**
 * The sources the environment can select, in the order they are checked: the more specific first
 * (Service Fabric sets App Service's variables too; Azure ML sets Cloud Shell's). IMDS comes last.
 * @internal
 */
export const DETECTION_ORDER: readonly ManagedIdentitySource<never>[] = [
  serviceFabricSource,
  appServiceSource,
  azureMlSource,
  cloudShellSource,
  arcSource,
  workloadIdentitySource,
] as ManagedIdentitySource<never>[];

/**
 * The source of that name.
 * @internal
 */
export function sourceByName(name: ManagedIdentitySourceName): ManagedIdentitySource<never> {
  return (DETECTION_ORDER.find((source) => source.name === name) ?? imdsSource) as ManagedIdentitySource<never>;
}

function list(names: readonly string[]): string {
  return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

function endpointOf(
  source: ManagedIdentitySource<never>,
  env: NodeJS.ProcessEnv,
): { endpoint?: string; problem?: string } {
  try {
    const url = source.endpoint({} as never, env);
    return { endpoint: `${url.origin}${url.pathname}` };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

function found(source: ManagedIdentitySource<never>, why: string, env: NodeJS.ProcessEnv): ManagedIdentityDetection {
  const { endpoint, problem } = endpointOf(source, env);
  return {
    source: source.name,
    endpoint,
    reason: `${source.displayName}: ${why}${problem ? `, but its endpoint is unusable: ${problem}` : "."}`,
  };
}

/**
 * Finds this machine's managed identity source the way {@link ManagedIdentityChainCredential} does:
 * from the environment, in the order Service Fabric, App Service, Azure ML, Cloud Shell, Azure Arc
 * (its variables or its agent installed), workload identity; otherwise IMDS, probed once with a short
 * timeout. Environment variables that are set but empty count as unset. Never throws; for diagnostics.
 *
 * @example
 * ```ts
 * const { source, endpoint, reason } = await detectManagedIdentity();
 * console.log(source, endpoint, reason); // "imds" "http://169.254.169.254/metadata/identity/oauth2/token" "IMDS: …"
 * ```
 */
export async function detectManagedIdentity(
  options: DetectManagedIdentityOptions = {},
): Promise<ManagedIdentityDetection> {
  checkWholeNumber(options.probeTimeoutMs, "probeTimeoutMs", MILLISECONDS_RANGE);
  const env = options.env ?? process.env;
  const checked: string[] = [];

  for (const source of DETECTION_ORDER) {
    const variables = source.detectedBy ?? [];
    const unset = variables.filter((name) => readEnv(name, env) === undefined);
    if (unset.length === 0)
      return found(source, `${list(variables)} ${variables.length === 1 ? "is" : "are"} set`, env);
    let check = `${source.displayName} (${list(unset)} not set)`;

    if (source === arcSource) {
      const agentPath = options.arcAgentPath ?? defaultArcAgentPath(process.platform, env);
      if (await isArcAgentInstalled(agentPath)) {
        return found(source, `the Azure Connected Machine agent is installed (${agentPath})`, env);
      }
      check = `${source.displayName} (${list(unset)} not set, no agent at ${agentPath})`;
    }
    checked.push(check);
  }

  const imds = endpointOf(imdsSource as ManagedIdentitySource<never>, env);
  const assumed = `nothing else matched (${checked.join("; ")})`;
  if (imds.endpoint === undefined) {
    return {
      source: "imds",
      endpoint: undefined,
      reason: `IMDS: ${assumed}, but its endpoint is unusable: ${imds.problem}`,
    };
  }
  if (options.probe === false) {
    return { source: "imds", endpoint: imds.endpoint, reason: `IMDS, assumed without a probe: ${assumed}.` };
  }
  const probe = await probeImds(new URL(imds.endpoint), {
    timeoutMs: options.probeTimeoutMs,
    httpClient: options.httpClient,
  });
  if (probe.present) return { source: "imds", endpoint: imds.endpoint, reason: `IMDS: ${probe.detail}; ${assumed}.` };
  return {
    source: "none",
    endpoint: undefined,
    reason: `No managed identity found. Checked: ${checked.join("; ")}; IMDS (${probe.detail}).`,
  };
}
