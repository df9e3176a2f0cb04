import { titleOf } from "./findings.js";
import type { DoctorReport, ImdsV2Check, TimedCheck } from "./report.js";

const WIDTH = 100;

/** Wraps a paragraph at word boundaries, every line after the first indented like the first. */
function wrap(text: string, indent: string, firstPrefix: string): string[] {
  const lines: string[] = [];
  let line = firstPrefix;
  const hanging = indent + " ".repeat(firstPrefix.length - indent.length);
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const start = line === firstPrefix || line === hanging;
    if (!start && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = hanging;
    }
    line += line === firstPrefix || line === hanging ? word : ` ${word}`;
  }
  lines.push(line);
  return lines;
}

function check(label: string, result: TimedCheck | undefined): string[] {
  if (result === undefined) return [];
  const what = result.ok
    ? `${result.status !== undefined ? `answered ${result.status}` : "ok"} in ${result.ms} ms${result.detail ? `: ${result.detail}` : ""}`
    : `failed after ${result.ms} ms: ${result.detail ?? "no answer"}`;
  return wrap(what, "    ", `    ${label.padEnd(13)} `);
}

const IMDS_V2_VERDICTS: Record<ImdsV2Check["verdict"], string> = {
  "v2-capable": "offered (mTLS proof of possession)",
  "v1-only": "not offered: IMDSv1 only",
  unknown: "unknown",
};

function imdsV2Line(result: ImdsV2Check | undefined): string[] {
  if (result === undefined) return [];
  const answer =
    result.status !== undefined
      ? `getplatformmetadata answered ${result.status} in ${result.ms} ms`
      : `${result.detail ?? "no answer"}, after ${result.ms} ms`;
  return wrap(`${IMDS_V2_VERDICTS[result.verdict]} (${answer})`, "    ", `    ${"IMDSv2".padEnd(13)} `);
}

/**
 * The doctor's report for a person: sections in the order things were checked, the findings with
 * their cause and fix, and the outcome with its exit code. No token, no secret.
 * @internal
 */
export function renderReport(report: DoctorReport): string {
  const out: string[] = ["Azure managed identity doctor", ""];

  out.push("Environment");
  const set = report.environment.filter((variable) => variable.set);
  const width = Math.max(0, ...set.map((variable) => variable.name.length));
  for (const variable of set)
    out.push(`  ${variable.name.padEnd(width)}  ${variable.secret ? "set (value hidden)" : variable.value}`);
  if (set.length === 0) out.push("  none of the managed identity or proxy variables is set");
  const empty = report.environment.filter((variable) => variable.empty).map((variable) => variable.name);
  if (empty.length > 0) out.push(`  set but empty, so unset: ${empty.join(", ")}`);
  const unset = report.environment
    .filter((variable) => !variable.set && !variable.empty)
    .map((variable) => variable.name);
  if (unset.length > 0) out.push(...wrap(unset.join(", "), "  ", "  not set: "));
  if (report.tokenCredentials) out.push(...wrap(report.tokenCredentials, "  ", "  effect    "));

  const { detection } = report;
  out.push("", `Detection (${detection.ms} ms)`);
  out.push(
    `  source    ${detection.source === "none" ? "none" : `${titleOf(detection.source)} (${detection.source})`}`,
  );
  if (detection.endpoint) out.push(`  endpoint  ${detection.endpoint}`);
  // The reason keeps its own lines (one per source checked, indented under "Checked:"): each is wrapped alone.
  const [first = "", ...more] = detection.reason.split("\n");
  out.push(...wrap(first, "  ", "  why       "));
  for (const line of more) {
    const indent = `${" ".repeat(12)}${/^ */.exec(line)![0]}`;
    out.push(...wrap(line, indent, indent));
  }

  out.push("", "Endpoints");
  for (const endpoint of report.endpoints) {
    out.push(`  ${titleOf(endpoint.source)}  ${endpoint.url}  (${endpoint.why})`);
    out.push(
      ...check("TCP connect", endpoint.tcp),
      ...check("HTTP answer", endpoint.http),
      ...check("IMDS probe", endpoint.probe),
      ...imdsV2Line(endpoint.imdsV2),
    );
  }

  if (report.arcTokenFolder) {
    out.push("", "Azure Arc token folder", `  ${report.arcTokenFolder.path}  ${report.arcTokenFolder.detail}`);
  }

  const { token } = report;
  if (token) {
    out.push("", `Token (${titleOf(token.source)}, ${token.scope})`);
    if (token.ok) {
      out.push(`  ok in ${token.ms} ms, expires ${token.expiresOn}`);
      if (token.opaque) out.push("  not a JWT: no claims to show");
      for (const [name, value] of Object.entries(token.claims ?? {})) out.push(`  ${name.padEnd(10)} ${value}`);
    } else {
      out.push(`  failed after ${token.ms} ms`);
      out.push(...wrap(`${token.error?.name}: ${token.error?.message}`, "  ", "  "));
    }
  }

  out.push("", "Findings");
  if (report.findings.length === 0) out.push("  none");
  for (const finding of report.findings) {
    out.push(...wrap(finding.summary, "  ", `  ${finding.severity}: `));
    out.push(...wrap(finding.cause, "    ", "    cause: "));
    out.push(...wrap(finding.fix, "    ", "    fix:   "));
  }

  const result =
    report.outcome === "token"
      ? `a token from ${titleOf(report.token!.source)}`
      : report.outcome === "token-failed"
        ? `${titleOf(report.token!.source)} found, but no token`
        : "no managed identity found";
  out.push("", `Result: ${result} (exit code ${report.exitCode}, ${report.ms} ms)`, "");
  return out.join("\n");
}
