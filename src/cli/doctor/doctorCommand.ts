import { constants, promises as fs } from "node:fs";
import { performance } from "node:perf_hooks";
import { DEFAULT_PROBE_TIMEOUT_MS, type ImdsProbeResult, probeImds } from "../../detection/imdsProbe.js";
import { detectManagedIdentityWith } from "../../detection/detectManagedIdentity.js";
import { defaultArcTokenFolder } from "../../sources/arc/arcChallengeFile.js";
import type { ManagedIdentitySourceName } from "../../sources/source.js";
import {
  CREDENTIAL_OPTIONS,
  identityOption,
  integerOption,
  parseCommandArgs,
  scopeOption,
  sourceOption,
  stringOption,
} from "../arguments.js";
import { ExitCode, type ExitCodeValue } from "../exitCodes.js";
import { DOCTOR_HELP } from "../help.js";
import type { CliIo } from "../io.js";
import { withProgress } from "../progress.js";
import { maskReport } from "./maskReport.js";
import { candidateEndpoints, type Candidate } from "./candidates.js";
import { environmentReport, tokenCredentialsEffect } from "./environmentReport.js";
import { diagnose } from "./findings.js";
import { checkHttp, checkTcp, timed } from "./reachability.js";
import { renderReport } from "./renderReport.js";
import { checkImdsV2, imdsV2Url } from "./imdsV2.js";
import type { DoctorReport, EndpointReport, ImdsV2Check } from "./report.js";
import { attemptToken } from "./tokenAttempt.js";

const COMMAND = "doctor";
const DEFAULT_TOKEN_TIMEOUT_MS = 10_000;
const MAX_MS = 10 * 60_000;

/** Probes IMDS once per endpoint: the detection and the endpoint check share the answer. */
type ImdsProber = (endpoint: URL) => Promise<ImdsProbeResult>;

function probeOnce(timeoutMs: number): ImdsProber {
  const probes = new Map<string, Promise<ImdsProbeResult>>();
  return (endpoint) => {
    const key = `${endpoint.origin}${endpoint.pathname}`;
    let probe = probes.get(key);
    if (probe === undefined) probes.set(key, (probe = probeImds(endpoint, { timeoutMs })));
    return probe;
  };
}

/** Asks each IMDS host once whether it offers IMDSv2, however many times its endpoint is checked. */
type ImdsV2Checker = (endpoint: URL) => Promise<ImdsV2Check>;

function imdsV2Once(timeoutMs: number): ImdsV2Checker {
  const checks = new Map<string, Promise<ImdsV2Check>>();
  return (endpoint) => {
    const key = imdsV2Url(endpoint);
    let check = checks.get(key);
    if (check === undefined) checks.set(key, (check = checkImdsV2(endpoint, timeoutMs)));
    return check;
  };
}

/** IMDS's own checks, shared by every check of its endpoint. */
interface ImdsCheckers {
  probe: ImdsProber;
  imdsV2: ImdsV2Checker;
}

/** Checks one endpoint, every check at once so the whole takes at most `timeoutMs`. */
async function checkEndpoint(candidate: Candidate, timeoutMs: number, imds: ImdsCheckers): Promise<EndpointReport> {
  const { source, url, why } = candidate;
  const report: EndpointReport = { source, url: `${url.origin}${url.pathname}`, why };
  if (source === "imds") {
    const [tcp, probe, imdsV2] = await Promise.all([
      checkTcp(url, timeoutMs),
      timed(() => imds.probe(url)),
      imds.imdsV2(url),
    ]);
    return {
      ...report,
      tcp,
      probe: { ok: probe.value.present, ms: probe.ms, detail: probe.value.detail },
      imdsV2,
    };
  }
  const [tcp, http] = await Promise.all([checkTcp(url, timeoutMs), checkHttp(url, timeoutMs)]);
  return { ...report, tcp, http };
}

/** Whether this process may list and read the Arc agent's token folder. */
async function checkArcTokenFolder(folder: string): Promise<{ path: string; ok: boolean; detail: string }> {
  try {
    await fs.access(folder, constants.R_OK | constants.X_OK);
    return { path: folder, ok: true, detail: "readable by this user" };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    return {
      path: folder,
      ok: false,
      detail: code === "EACCES" || code === "EPERM" ? `${code}: permission denied` : code,
    };
  }
}

/**
 * `azure-managed-identity doctor`: what this machine offers for managed identity, and what to do
 * about what fails. Never prints a token or a secret. Off Azure, it finishes in about the probe
 * timeout: every endpoint is checked at once, each bounded by it.
 * @internal
 */
export async function doctorCommand(args: string[], io: CliIo): Promise<ExitCodeValue> {
  const values = parseCommandArgs(COMMAND, args, CREDENTIAL_OPTIONS);
  if (values["help"] === true) {
    io.stdout.write(DOCTOR_HELP);
    return ExitCode.ok;
  }
  const probeTimeoutMs =
    integerOption(values, "probe-timeout", COMMAND, { min: 1, max: MAX_MS }) ?? DEFAULT_PROBE_TIMEOUT_MS;
  const tokenTimeoutMs = integerOption(values, "timeout", COMMAND, { min: 1, max: MAX_MS }) ?? DEFAULT_TOKEN_TIMEOUT_MS;
  const scope = scopeOption(values, COMMAND);
  const chosen = sourceOption(values, COMMAND);
  const identity = identityOption(values, COMMAND);
  const tokenFolder = stringOption(values, "token-folder", COMMAND);
  const json = values["json"] === true;
  const env = process.env;
  const started = performance.now();

  // The detection and the checks of every endpoint the environment names run side by side, IMDS probed once.
  const imdsProbe = probeOnce(probeTimeoutMs);
  const imds: ImdsCheckers = { probe: imdsProbe, imdsV2: imdsV2Once(probeTimeoutMs) };
  const early = candidateEndpoints({ source: "none" }, env);
  const [detected, earlyReports] = await withProgress(
    io.stderr,
    "checking this machine's managed identity endpoints",
    Promise.all([
      timed(() => detectManagedIdentityWith({ probeTimeoutMs }, imdsProbe)),
      Promise.all(early.map((candidate) => checkEndpoint(candidate, probeTimeoutMs, imds))),
    ]),
  );
  const detection = { ...detected.value, ms: detected.ms };

  const inUse: ManagedIdentitySourceName | "none" = chosen === "auto" ? detection.source : chosen;
  // The source in use comes first; its endpoint may be one the environment does not name (the Arc agent's default).
  const candidates = candidateEndpoints(chosen === "auto" ? detection : { source: chosen }, env);
  const endpoints = await Promise.all(
    candidates.map((candidate) => {
      const done = earlyReports.find((report) => report.url === `${candidate.url.origin}${candidate.url.pathname}`);
      return done
        ? Promise.resolve({ ...done, source: candidate.source, why: candidate.why })
        : checkEndpoint(candidate, probeTimeoutMs, imds);
    }),
  );

  const arcFolder = tokenFolder ?? defaultArcTokenFolder();
  const arcTokenFolder = inUse === "arc" ? await checkArcTokenFolder(arcFolder) : undefined;
  const token =
    inUse === "none"
      ? undefined
      : await withProgress(
          io.stderr,
          `asking ${inUse} for a token`,
          attemptToken(inUse, scope, { ...identity, tokenFolder }, tokenTimeoutMs),
        );

  const partial = {
    environment: environmentReport(env),
    tokenCredentials: tokenCredentialsEffect(env),
    detection,
    endpoints,
    ...(arcTokenFolder ? { arcTokenFolder } : {}),
    ...(token ? { token } : {}),
  };
  const findings = diagnose({ report: partial, env, platform: process.platform, arcTokenFolder: arcFolder });
  const outcome: DoctorReport["outcome"] = token === undefined ? "nothing-found" : token.ok ? "token" : "token-failed";
  const exitCode =
    outcome === "token" ? ExitCode.ok : outcome === "token-failed" ? ExitCode.failure : ExitCode.nothingFound;
  const report: DoctorReport = maskReport({
    ...partial,
    findings,
    outcome,
    exitCode,
    ms: Math.round(performance.now() - started),
  });

  io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  return exitCode;
}
