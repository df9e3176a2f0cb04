import { entraErrorCode } from "../../engine/errorAnswer.js";
import { sourceByName } from "../../sources/index.js";
import type { ManagedIdentitySourceName } from "../../sources/source.js";
import { arcPermissionHint } from "../../sources/arc/permissionHint.js";
import { PROGRAM } from "../help.js";
import { partlyConfigured } from "./candidates.js";
import { noProxyCovers, proxyForHttp } from "./noProxy.js";
import { showableUrl } from "./environmentReport.js";
import type { DoctorReport, Finding, TokenAttemptReport } from "./report.js";

/** What the diagnosis reads: the report so far, the environment, the platform. @internal */
export interface DiagnosisInput {
  report: Omit<DoctorReport, "findings" | "outcome" | "exitCode" | "ms">;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** The Arc token folder in use. */
  arcTokenFolder: string;
}

function himdsFix(platform: NodeJS.Platform): string {
  const hint = arcPermissionHint(platform);
  return `${hint[0]!.toUpperCase()}${hint.slice(1)}${platform === "win32" ? "" : " (or restart the service that runs this process)"}.`;
}

function arcPermission(folder: string, platform: NodeJS.Platform): Finding {
  return {
    id: "arc-permission",
    severity: "error",
    summary: "This user may not read the Azure Arc agent's challenge files.",
    cause: `The agent answers a token request with a challenge: a file in ${folder} that only the agent's group may read (himds on Linux), to prove the caller is trusted. This process's user is not in it.`,
    fix: himdsFix(platform),
  };
}

function arcFolderMissing(folder: string): Finding {
  return {
    id: "arc-folder-missing",
    severity: "error",
    summary: `The Azure Arc token folder ${folder} cannot be opened.`,
    cause:
      "The agent is not installed on this machine (IDENTITY_ENDPOINT copied from another one?), or this is a container where the agent's folder is not mounted.",
    fix: "Install and connect the agent (azcmagent connect), or in a container mount /var/opt/azcmagent/tokens read-only at the same path; for another folder give it with --token-folder (ArcCredential's tokenFolder option).",
  };
}

/** What a failed token attempt is known by: the error's structured fields, never its message. */
type FailedAttempt = NonNullable<TokenAttemptReport["error"]> & { source: ManagedIdentitySourceName };

/**
 * One row of the table of failures: which errors it explains (every key given must match) and the finding.
 * The message is only ever shown (as a cause), never searched.
 */
interface FailureRow {
  /** The error's class name (`TypeError`: the options do not fit the source). */
  name?: string;
  code?: string;
  statusCode?: (status: number) => boolean;
  /** The endpoint's answer (`errorResponse`) carries a Microsoft Entra code (AADSTS…). */
  entraCode?: true;
  source?: ManagedIdentitySourceName;
  finding(failure: FailedAttempt, input: DiagnosisInput): Finding;
}

const failed = (id: string, summary: string, cause: string, fix: string): Finding => ({
  id,
  severity: "error",
  summary,
  cause,
  fix,
});
const titleOfFailure = (failure: FailedAttempt): string => sourceByName(failure.source).displayName;
/** The source's advice for the endpoint this machine uses. */
function adviceFor(failure: FailedAttempt, input: DiagnosisInput): string {
  const url = input.report.endpoints.find((endpoint) => endpoint.source === failure.source)?.url;
  let endpoint: URL | undefined;
  try {
    endpoint = url === undefined ? undefined : new URL(url);
  } catch {
    endpoint = undefined;
  }
  return sourceByName(failure.source).advice(endpoint);
}
const is =
  (...statuses: number[]) =>
  (status: number): boolean =>
    statuses.includes(status);

/** The table, first match wins. */
const FAILURES: readonly FailureRow[] = [
  {
    name: "TypeError",
    finding: (failure) =>
      failed(
        "options-do-not-fit",
        `${titleOfFailure(failure)} cannot be asked for this.`,
        failure.message,
        "Drop the identity option, or use a source that takes it.",
      ),
  },
  {
    code: "misconfigured",
    finding: (failure) =>
      failed(
        "misconfigured",
        `${titleOfFailure(failure)}'s settings in this environment are not usable.`,
        failure.message,
        "Fix or unset the variable named above: the platform sets these variables (an endpoint as an http(s) URL, a header value on one line); a copy from another machine or process goes stale.",
      ),
  },
  { code: "arc-file-permission", finding: (_, input) => arcPermission(input.arcTokenFolder, input.platform) },
  { code: "arc-folder-missing", finding: (_, input) => arcFolderMissing(input.arcTokenFolder) },
  {
    code: "arc-file-outside-folder",
    finding: (_, input) =>
      failed(
        "arc-file-outside-folder",
        "The Azure Arc endpoint named a challenge file outside the agent's token folder, so it was not read.",
        `Either IDENTITY_ENDPOINT points at something that is not the Azure Connected Machine agent (another service, or an emulator), or the agent's token folder is not ${input.arcTokenFolder} (a container that mounts it elsewhere). Reading files wherever an endpoint says would hand any file's content to it.`,
        "Check IDENTITY_ENDPOINT (azcmagent show lists the agent's settings). If the folder really is elsewhere, give it with --token-folder (ArcCredential's tokenFolder option), and never a folder other users can write to.",
      ),
  },
  {
    code: "arc-file-missing",
    finding: (_, input) =>
      failed(
        "arc-file-missing",
        "The Azure Arc endpoint named a challenge file that does not exist here.",
        `The agent writes the file into its token folder just before it answers, so this process sees another file system than the agent: a container where ${input.arcTokenFolder} is not the agent's folder (not mounted, or mounted elsewhere), or an IDENTITY_ENDPOINT that is not this machine's agent.`,
        "In a container, mount the agent's /var/opt/azcmagent/tokens read-only at the same path (or give the folder with --token-folder, ArcCredential's tokenFolder option); otherwise check IDENTITY_ENDPOINT (azcmagent show).",
      ),
  },
  {
    code: "identity-mismatch",
    finding: () =>
      failed(
        "arc-identity-mismatch",
        "The Azure Arc agent gave a token for another identity than the one asked for.",
        "Agents older than the support for user-assigned identities ignore client_id/object_id/msi_res_id and answer with the machine's system-assigned identity; the token was discarded.",
        "Update the Connected Machine agent, or ask for the system-assigned identity (no --client-id/--object-id/--resource-id).",
      ),
  },
  {
    code: "no-identity",
    source: "imds",
    finding: () =>
      failed(
        "imds-identity-not-assigned",
        "IMDS answered 400: no managed identity, or not the one asked for, is assigned to this VM.",
        "IMDS is there, but the VM (or scale set) has no system-assigned identity while none was named, or the user-assigned identity named is not assigned to it.",
        "Assign one: az vm identity assign -g <group> -n <vm> (system-assigned), or add --identities <identity resource id>; for a scale set, az vmss identity assign. Check the ids with az identity show. It takes effect within a minute or two.",
      ),
  },
  {
    code: "docker-desktop",
    finding: () =>
      failed(
        "docker-desktop",
        "Docker Desktop answered for IMDS.",
        "This runs in a container under Docker Desktop, which answers 169.254.169.254 with 403 'unreachable': there is no Azure VM behind it.",
        `Run on an Azure VM, or develop against the emulator: ${PROGRAM} emulate.`,
      ),
  },
  {
    code: "unreachable",
    finding: (failure) =>
      failed(
        "endpoint-not-listening",
        `Nothing listens at the ${titleOfFailure(failure)} endpoint.`,
        failure.message,
        failure.source === "arc"
          ? "Check the agent: azcmagent show, and systemctl status himdsd (Linux) or Get-Service himds (Windows)."
          : failure.source === "imds"
            ? "Check that this runs on an Azure VM and that nothing (a firewall, a container network without host networking, a network policy) blocks 169.254.169.254."
            : "The variables that name the endpoint may be stale (copied from another process or machine): check them, or restart the app so the platform sets them again.",
      ),
  },
  {
    code: "timeout",
    finding: (failure) =>
      failed(
        "endpoint-slow",
        `The ${titleOfFailure(failure)} endpoint accepted the connection but gave no token in time.`,
        "The endpoint is overloaded or hung, or something between (a proxy, a firewall) holds the connection open.",
        "Try again with a longer --timeout; if it persists, restart the agent or service that serves the endpoint.",
      ),
  },
  {
    // Each source says what its endpoint checks: IDENTITY_HEADER for App Service and Service Fabric, Metadata for IMDS.
    statusCode: is(401, 403),
    finding: (failure) => {
      const { denied } = sourceByName(failure.source);
      return failed(
        "denied",
        `The ${titleOfFailure(failure)} endpoint denied the request (${failure.statusCode}).`,
        denied.cause,
        denied.fix,
      );
    },
  },
  {
    // Microsoft Entra's refusal passed on (IMDS's invalid_resource): the identity is there, the request is wrong.
    statusCode: is(400),
    entraCode: true,
    finding: (failure) => {
      const code = entraErrorCode(failure.errorResponse);
      return failed(
        "request-refused",
        `The ${titleOfFailure(failure)} endpoint refused the request (400, AADSTS${code}).`,
        code === 500011
          ? "The identity is there, but the resource (the scope without /.default) is not known in its tenant: a typo in the scope, or a resource from another cloud or tenant."
          : "The identity is there, but Microsoft Entra refused the request; its AADSTS code says why (https://login.microsoftonline.com/error?code=<number>).",
        "Check --scope/--resource against the resource's documented audience (for Key Vault https://vault.azure.net/.default).",
      );
    },
  },
  {
    statusCode: is(400, 404),
    finding: (failure, input) =>
      failed(
        "identity-not-available",
        `The ${titleOfFailure(failure)} endpoint answered ${failure.statusCode}.`,
        failure.statusCode === 404
          ? "The endpoint URL's path is wrong, or the identity asked for is not assigned to this host."
          : "No managed identity is enabled on this host, or the one asked for is not assigned to it.",
        adviceFor(failure, input),
      ),
  },
  {
    statusCode: is(429),
    finding: (failure) =>
      failed(
        "throttled",
        `The ${titleOfFailure(failure)} endpoint is throttling (429).`,
        "Too many token requests from this host: something asks for a new token per request instead of caching it.",
        "Cache tokens (one credential instance per process does) and retry after the Retry-After the endpoint gives.",
      ),
  },
  {
    statusCode: (status) => status >= 500,
    finding: (failure) =>
      failed(
        "endpoint-failing",
        `The ${titleOfFailure(failure)} endpoint failed on its side (${failure.statusCode}).`,
        "The endpoint had an internal error on every retry (IMDS answers 410 or 5xx while it is being updated, for up to 70 s).",
        "Try again in a minute; if it persists, restart the agent or service behind the endpoint, or open a support case.",
      ),
  },
];

function rowMatches(row: FailureRow, failure: FailedAttempt): boolean {
  if (row.name !== undefined && row.name !== failure.name) return false;
  if (row.code !== undefined && row.code !== failure.code) return false;
  if (row.source !== undefined && row.source !== failure.source) return false;
  if (row.statusCode !== undefined && (failure.statusCode === undefined || !row.statusCode(failure.statusCode)))
    return false;
  if (row.entraCode !== undefined) {
    const code = entraErrorCode(failure.errorResponse);
    if (code === undefined) return false;
  }
  return true;
}

/** The finding for a failed token attempt: the first row of the table that fits, else the credential's message. */
function tokenFailure(token: TokenAttemptReport, input: DiagnosisInput): Finding {
  const failure: FailedAttempt = { ...token.error!, source: token.source };
  const row = FAILURES.find((candidate) => rowMatches(candidate, failure));
  if (row !== undefined) return row.finding(failure, input);
  return failed(
    `token-failed`,
    `No token from ${titleOfFailure(failure)}.`,
    failure.message,
    adviceFor(failure, input),
  );
}

/**
 * The likely cause and fix of everything that went wrong, most important first. Each problem is
 * named once, even when two checks see it.
 * @internal
 */
export function diagnose(input: DiagnosisInput): Finding[] {
  const { report, env } = input;
  const findings = new Map<string, Finding>();
  const add = (finding: Finding): void => {
    if (!findings.has(finding.id)) findings.set(finding.id, finding);
  };
  const { detection, token } = report;

  if (token !== undefined && !token.ok) add(tokenFailure(token, input));
  if (report.arcTokenFolder !== undefined && !report.arcTokenFolder.ok) {
    add(
      /EACCES|EPERM/.test(report.arcTokenFolder.detail)
        ? arcPermission(report.arcTokenFolder.path, input.platform)
        : arcFolderMissing(report.arcTokenFolder.path),
    );
  }

  if (detection.source === "none" && token === undefined) {
    const imds = report.endpoints.find((endpoint) => endpoint.source === "imds");
    add({
      id: "nothing-found",
      severity: "error",
      summary: "No managed identity found on this machine.",
      cause: `No source's environment variables are set, no Azure Arc agent is installed, and IMDS did not answer${imds?.probe?.detail ? ` (${imds.probe.detail})` : ""}: this is not an Azure host with a managed identity, or IMDS is blocked from here.`,
      fix: `On Azure, run this on the VM, App Service, container or cluster the identity is assigned to (in a container on a VM, let it reach 169.254.169.254). For local development, run '${PROGRAM} emulate' and use the variables it prints, or put a developer credential (AzureCliCredential) after ManagedIdentityChainCredential in a ChainedTokenCredential.`,
    });
  }

  if (detection.source === "none" || detection.source === "imds") {
    const partial = partlyConfigured(env);
    if (partial.length > 0) {
      add({
        id: "partly-configured",
        severity: "warning",
        summary: `${[...new Set(partial.flatMap((p) => p.set))].join(", ")} set, but no source's variables are complete.`,
        cause: partial.map((p) => `${p.source} also needs ${p.missing.join(" and ")}`).join("; ") + ".",
        fix: "These variables are set by the platform: if they were copied from another process or machine, unset them; otherwise the platform's identity setup is incomplete (restart the app or check its identity settings).",
      });
    }
    const proxy = proxyForHttp(env);
    const imds = report.endpoints.find((endpoint) => endpoint.source === "imds");
    const imdsHost = imds ? new URL(imds.url).hostname : "169.254.169.254";
    if (proxy !== undefined && !noProxyCovers(imdsHost, env)) {
      add({
        id: "imds-proxy",
        severity: "warning",
        summary: `${proxy.name} is set and NO_PROXY does not list ${imdsHost}.`,
        cause: `This package never sends managed identity requests through a proxy, but other tools on this machine that honour ${proxy.name} (curl, wget, most SDKs and CLIs) send their IMDS requests to the proxy at ${showableUrl(proxy.value)}, which cannot reach IMDS (it answers on this VM only) and fails or answers in its place.`,
        fix: `export NO_PROXY="\${NO_PROXY:+$NO_PROXY,}${imdsHost}" and no_proxy likewise, wherever the proxy is set.`,
      });
    }
  }

  // The token attempt's "misconfigured" already names the variable and the fix: one finding.
  if (detection.unusable !== undefined && !findings.has("misconfigured")) {
    add({
      id: "endpoint-unusable",
      severity: "error",
      summary: "An endpoint variable is not a usable URL.",
      cause: detection.reason,
      fix: "Fix or unset the variable; the platform sets it as an http(s) URL.",
    });
  }
  return [...findings.values()];
}

/** A short form of a source's name for the report's headings. @internal */
export function titleOf(source: ManagedIdentitySourceName): string {
  return sourceByName(source).displayName;
}
