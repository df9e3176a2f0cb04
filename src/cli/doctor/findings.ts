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

/** The finding for a failed token attempt, from the source and what the credential said. */
function tokenFailure(token: TokenAttemptReport, input: DiagnosisInput): Finding {
  const { source } = token;
  const error = token.error!;
  const { message, name } = error;
  const status = error.statusCode;
  const title = sourceByName(source).displayName;
  const failed = (id: string, summary: string, cause: string, fix: string): Finding => ({
    id,
    severity: "error",
    summary,
    cause,
    fix,
  });

  if (name === "TypeError") {
    return failed(
      "options-do-not-fit",
      `${title} cannot be asked for this.`,
      message,
      "Drop the identity option, or use a source that takes it.",
    );
  }
  switch (error.code) {
    case "arc-file-permission":
      return arcPermission(input.arcTokenFolder, input.platform);
    case "arc-folder-missing":
      return arcFolderMissing(input.arcTokenFolder);
    case "arc-file-outside-folder":
      return failed(
        "arc-file-outside-folder",
        "The Azure Arc endpoint named a challenge file outside the agent's token folder, so it was not read.",
        `Either IDENTITY_ENDPOINT points at something that is not the Azure Connected Machine agent (another service, or an emulator), or the agent's token folder is not ${input.arcTokenFolder} (a container that mounts it elsewhere). Reading files wherever an endpoint says would hand any file's content to it.`,
        "Check IDENTITY_ENDPOINT (azcmagent show lists the agent's settings). If the folder really is elsewhere, give it with --token-folder (ArcCredential's tokenFolder option), and never a folder other users can write to.",
      );
    case "arc-file-missing":
      return failed(
        "arc-file-missing",
        "The Azure Arc endpoint named a challenge file that does not exist here.",
        `The agent writes the file into its token folder just before it answers, so this process sees another file system than the agent: a container where ${input.arcTokenFolder} is not the agent's folder (not mounted, or mounted elsewhere), or an IDENTITY_ENDPOINT that is not this machine's agent.`,
        "In a container, mount the agent's /var/opt/azcmagent/tokens read-only at the same path (or give the folder with --token-folder, ArcCredential's tokenFolder option); otherwise check IDENTITY_ENDPOINT (azcmagent show).",
      );
    case "identity-mismatch":
      return failed(
        "arc-identity-mismatch",
        "The Azure Arc agent gave a token for another identity than the one asked for.",
        "Agents older than the support for user-assigned identities ignore client_id/object_id/msi_res_id and answer with the machine's system-assigned identity; the token was discarded.",
        "Update the Connected Machine agent, or ask for the system-assigned identity (no --client-id/--object-id/--resource-id).",
      );
    case "no-identity":
      if (source !== "imds") break;
      return failed(
        "imds-identity-not-assigned",
        "IMDS answered 400: no managed identity, or not the one asked for, is assigned to this VM.",
        "IMDS is there, but the VM (or scale set) has no system-assigned identity while none was named, or the user-assigned identity named is not assigned to it.",
        "Assign one: az vm identity assign -g <group> -n <vm> (system-assigned), or add --identities <identity resource id>; for a scale set, az vmss identity assign. Check the ids with az identity show. It takes effect within a minute or two.",
      );
    case "docker-desktop":
      return failed(
        "docker-desktop",
        "Docker Desktop answered for IMDS.",
        "This runs in a container under Docker Desktop, which answers 169.254.169.254 with 403 'unreachable': there is no Azure VM behind it.",
        `Run on an Azure VM, or develop against the emulator: ${PROGRAM} emulate.`,
      );
    case "unreachable": {
      const fix =
        source === "arc"
          ? "Check the agent: azcmagent show, and systemctl status himdsd (Linux) or Get-Service himds (Windows)."
          : source === "imds"
            ? "Check that this runs on an Azure VM and that nothing (a firewall, a container network without host networking, a network policy) blocks 169.254.169.254."
            : "The variables that name the endpoint may be stale (copied from another process or machine): check them, or restart the app so the platform sets them again.";
      return failed("endpoint-not-listening", `Nothing listens at the ${title} endpoint.`, message, fix);
    }
    case "timeout":
      return failed(
        "endpoint-slow",
        `The ${title} endpoint accepted the connection but gave no token in time.`,
        "The endpoint is overloaded or hung, or something between (a proxy, a firewall) holds the connection open.",
        "Try again with a longer --timeout; if it persists, restart the agent or service that serves the endpoint.",
      );
  }
  if (status === 401 || status === 403) {
    return failed(
      "denied",
      `The ${title} endpoint denied the request (${status}).`,
      source === "appservice"
        ? "IDENTITY_HEADER does not match: the platform rotates it, and a copy of the variables goes stale."
        : "A header was stripped, or something other than the endpoint (a proxy, a sidecar) answered in its place.",
      source === "appservice"
        ? "Restart the app so that it gets the current IDENTITY_HEADER; do not copy it elsewhere."
        : "Check what listens at the endpoint, and that no proxy answers for it.",
    );
  }
  // Microsoft Entra's refusal passed on (IMDS's invalid_resource): the identity is there, the request is wrong.
  const aadsts = status === 400 ? /\bAADSTS\d+/.exec(message)?.[0] : undefined;
  if (aadsts !== undefined) {
    return failed(
      "request-refused",
      `The ${title} endpoint refused the request (400, ${aadsts}).`,
      aadsts === "AADSTS500011"
        ? "The identity is there, but the resource (the scope without /.default) is not known in its tenant: a typo in the scope, or a resource from another cloud or tenant."
        : "The identity is there, but Microsoft Entra refused the request; its AADSTS code says why (https://login.microsoftonline.com/error?code=<number>).",
      "Check --scope/--resource against the resource's documented audience (for Key Vault https://vault.azure.net/.default).",
    );
  }
  if (status === 400 || status === 404) {
    return failed(
      "identity-not-available",
      `The ${title} endpoint answered ${status}.`,
      status === 404
        ? "The endpoint URL's path is wrong, or the identity asked for is not assigned to this host."
        : "No managed identity is enabled on this host, or the one asked for is not assigned to it.",
      sourceByName(source).troubleshooting ?? "Check the identity's assignment in the Azure portal.",
    );
  }
  if (status === 429) {
    return failed(
      "throttled",
      `The ${title} endpoint is throttling (429).`,
      "Too many token requests from this host: something asks for a new token per request instead of caching it.",
      "Cache tokens (one credential instance per process does) and retry after the Retry-After the endpoint gives.",
    );
  }
  if (status !== undefined && status >= 500) {
    return failed(
      "endpoint-failing",
      `The ${title} endpoint failed on its side (${status}).`,
      "The endpoint had an internal error on every retry (IMDS answers 410 or 5xx while it is being updated, for up to 70 s).",
      "Try again in a minute; if it persists, restart the agent or service behind the endpoint, or open a support case.",
    );
  }
  return failed(
    "token-failed",
    `No token from ${title}.`,
    message,
    sourceByName(source).troubleshooting ?? "Run with AZURE_LOG_LEVEL=verbose to see each request and answer.",
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

  if (detection.unusable !== undefined) {
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
