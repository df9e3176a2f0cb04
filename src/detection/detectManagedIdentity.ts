import type { HttpClient } from "@azure/core-rest-pipeline";
import { readEnv } from "../environment.js";
import { explicitOptions, optionKeys } from "../explicitOptions.js";
import { checkWholeNumber, MILLISECONDS_RANGE } from "../optionChecks.js";
import { imdsSource } from "../sources/imds.js";
import { environmentEndpoint, sourceByName, SOURCES } from "../sources/index.js";
import type { ManagedIdentitySource, ManagedIdentitySourceName } from "../sources/source.js";
import {
  describeTokenCredentialsSetting,
  readTokenCredentialsSetting,
  type TokenCredentialsSetting,
} from "./azureTokenCredentials.js";
import { type ImdsProbeResult, probeImds } from "./imdsProbe.js";

/**
 * Options of {@link detectManagedIdentity}.
 */
export interface DetectManagedIdentityOptions {
  /** The environment to read. Default: `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Whether to probe IMDS when nothing else matches. Default: `true`; when `false`, IMDS is assumed. */
  probe?: boolean | undefined;
  /** How long the IMDS probe waits for an answer: a whole number of milliseconds up to 2^31-1. Default (and 0): 1000 ms. */
  probeTimeoutMs?: number | undefined;
  /**
   * The Azure Arc agent's executable, whose presence means an Arc-enabled server. Default:
   * `/opt/azcmagent/bin/himds`, or `%ProgramFiles%\AzureConnectedMachineAgent\himds.exe` on Windows.
   */
  arcAgentPath?: string | undefined;
  /** The HTTP client of the IMDS probe. Default: Node's `http`, never through a proxy. */
  httpClient?: HttpClient | undefined;
}

/** The keys of {@link DetectManagedIdentityOptions}, checked against it at compile time. @internal */
export const DETECT_MANAGED_IDENTITY_OPTION_KEYS = optionKeys<DetectManagedIdentityOptions>()([
  "env",
  "probe",
  "probeTimeoutMs",
  "arcAgentPath",
  "httpClient",
]);

/**
 * One source the detection checked and passed over, and what it saw there.
 */
export interface ManagedIdentityCheck {
  /** The source checked. */
  source: ManagedIdentitySourceName;
  /**
   * What it saw, in words: the variables not set, the agent not installed, or for IMDS what the probe got
   * (`"IDENTITY_HEADER not set"`, `"nothing answers at http://…: … (ECONNREFUSED)"`).
   */
  detail: string;
}

/**
 * Which managed identity source this machine offers, and why. `reason` is for people; tools read
 * `source`, `checked` and `unusable`, never the reason's text.
 */
export interface ManagedIdentityDetection {
  /** The source, or `"none"` when nothing was found. */
  source: ManagedIdentitySourceName | "none";
  /** The token endpoint the source would use, without query; `undefined` for `"none"` or a malformed one. */
  endpoint: string | undefined;
  /** Why, in words: the variables that selected the source, or everything that was checked. */
  reason: string;
  /**
   * The sources checked and passed over, in the order they were checked (IMDS last, when its probe found
   * nothing). Empty when nothing needed checking (`AZURE_TOKEN_CREDENTIALS` excludes managed identity).
   */
  checked: ManagedIdentityCheck[];
  /**
   * Set when the source found cannot be used as the environment configures it: why its endpoint is
   * unusable (a variable that is not a URL, an http URL where https is required).
   */
  unusable?: string;
}

/** The first words of the reason when nothing was found. @internal */
export const NOTHING_FOUND = "No managed identity found on this machine";

/** One check as the reason shows it: `"App Service (IDENTITY_HEADER not set)"`. @internal */
export function describeCheck(check: ManagedIdentityCheck): string {
  return `${sourceByName(check.source).displayName} (${check.detail})`;
}

/** The sources checked before the fallback (IMDS), in registry order: those that can detect themselves. */
const DETECTABLE = SOURCES.filter((source) => source.detectedBy !== undefined || source.detect !== undefined);

/** "Nothing found": a short first line, then what was checked, one source per line, readable in a log. */
function nothingFound(checked: readonly ManagedIdentityCheck[]): string {
  return `${NOTHING_FOUND}. Checked:\n${checked.map((check) => `  ${describeCheck(check)}`).join("\n")}`;
}

function list(names: readonly string[]): string {
  return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

function endpointOf(source: ManagedIdentitySource, env: NodeJS.ProcessEnv): { endpoint?: string; problem?: string } {
  try {
    const url = environmentEndpoint(source, env);
    return { endpoint: `${url.origin}${url.pathname}` };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

function found(
  source: ManagedIdentitySource<never>,
  why: string,
  env: NodeJS.ProcessEnv,
  checked: ManagedIdentityCheck[],
  because = "",
): ManagedIdentityDetection {
  const { endpoint, problem } = endpointOf(source, env);
  return {
    source: source.name,
    endpoint,
    reason: `${because}${source.displayName}: ${why}${problem ? `, but its endpoint is unusable: ${problem}` : "."}`,
    checked,
    ...(problem === undefined ? {} : { unusable: problem }),
  };
}

/**
 * Finds this machine's managed identity source the way {@link ManagedIdentityChainCredential} does:
 * from the environment, in the order Service Fabric, App Service, Azure ML, Cloud Shell, Azure Arc
 * (its variables or its agent installed), workload identity; otherwise IMDS, probed once with a short
 * timeout. Environment variables that are set but empty count as unset. Never throws (but for a bad
 * `probeTimeoutMs`); for diagnostics.
 *
 * `AZURE_TOKEN_CREDENTIALS` in `env` (any case) narrows it, and the reason says so: `ManagedIdentityCredential`
 * assumes IMDS without a probe when nothing else matches; `WorkloadIdentityCredential` checks workload identity
 * only; `dev` or a credential that is not a managed identity gives `"none"` at once, without any I/O; an
 * unknown value gives `"none"` with the allowed values in the reason.
 *
 * @example
 * ```ts
 * const { source, endpoint, reason } = await detectManagedIdentity();
 * console.log(source, endpoint, reason); // "imds" "http://169.254.169.254/metadata/identity/oauth2/token" "IMDS: …"
 * ```
 */
export function detectManagedIdentity(options?: DetectManagedIdentityOptions): Promise<ManagedIdentityDetection> {
  try {
    options = explicitOptions("detectManagedIdentity", options, DETECT_MANAGED_IDENTITY_OPTION_KEYS);
  } catch (error) {
    return Promise.reject(error);
  }
  return detectManagedIdentityWith(options, (endpoint) =>
    probeImds(endpoint, { timeoutMs: options.probeTimeoutMs, httpClient: options.httpClient }),
  );
}

/**
 * {@link detectManagedIdentity} with the IMDS probe given: the doctor shares one probe between the
 * detection and its reachability check.
 * @internal
 */
export async function detectManagedIdentityWith(
  options: DetectManagedIdentityOptions,
  probeAt: (endpoint: URL) => Promise<ImdsProbeResult>,
): Promise<ManagedIdentityDetection> {
  checkWholeNumber(options.probeTimeoutMs, "probeTimeoutMs", MILLISECONDS_RANGE);
  const env = options.env ?? process.env;
  const checked: ManagedIdentityCheck[] = [];

  let setting: TokenCredentialsSetting;
  try {
    setting = readTokenCredentialsSetting(env);
  } catch (error) {
    // Diagnostics never throw: the chain refuses the value at construction, the reason says why.
    return {
      source: "none",
      endpoint: undefined,
      reason: `No managed identity: ${(error as Error).message}`,
      checked,
    };
  }
  // Set to something other than prod: the reason starts with it.
  const because = setting.value === undefined ? "" : `${describeTokenCredentialsSetting(setting)} `;
  if (setting.effect === "excluded") {
    return {
      source: "none",
      endpoint: undefined,
      reason: `No managed identity: ${because}Nothing was checked.`,
      checked,
    };
  }
  const candidates =
    setting.effect === "workloadIdentity"
      ? DETECTABLE.filter((source) => source.name === "workloadidentity")
      : DETECTABLE;

  for (const source of candidates) {
    const variables = source.detectedBy ?? [];
    const unset = variables.filter((name) => readEnv(name, env) === undefined);
    if (variables.length > 0 && unset.length === 0)
      return found(source, `${list(variables)} ${variables.length === 1 ? "is" : "are"} set`, env, checked, because);
    const notSet = unset.length > 0 ? [`${list(unset)} not set`] : [];
    const hook = await source.detect?.({ env, arcAgentPath: options.arcAgentPath });
    if (hook?.found) return found(source, hook.why, env, checked, because);
    checked.push({ source: source.name, detail: [...notSet, ...(hook ? [hook.checked] : [])].join(", ") });
  }

  if (setting.effect === "workloadIdentity") {
    return {
      source: "none",
      endpoint: undefined,
      reason: `No managed identity: ${because}Checked: ${checked.map(describeCheck).join("; ")}.`,
      checked,
    };
  }

  const imds = endpointOf(imdsSource, env);
  const assumed = `nothing else matched (${checked.map(describeCheck).join("; ")})`;
  if (imds.endpoint === undefined) {
    return {
      source: "imds",
      endpoint: undefined,
      reason: `IMDS: ${assumed}, but its endpoint is unusable: ${imds.problem}`,
      checked,
      unusable: imds.problem!,
    };
  }
  if (options.probe === false || setting.effect === "managedIdentity") {
    return {
      source: "imds",
      endpoint: imds.endpoint,
      reason: `${because}IMDS, assumed without a probe: ${assumed}.`,
      checked,
    };
  }
  const probe = await probeAt(new URL(imds.endpoint));
  if (probe.present) {
    return { source: "imds", endpoint: imds.endpoint, reason: `IMDS: ${probe.detail}; ${assumed}.`, checked };
  }
  checked.push({ source: "imds", detail: probe.detail });
  return { source: "none", endpoint: undefined, reason: nothingFound(checked), checked };
}
