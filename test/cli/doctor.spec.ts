// `azure-managed-identity doctor`, spawned as a child process; every endpoint on loopback, IMDS
// pointed at a closed port or a local server, so that 169.254.169.254 is never contacted.
import { promises as fs } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DoctorReport } from "../../src/cli/doctor/report.js";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { cliEnv, closedPort, finished, JWT_PATTERN, runCli, startCli } from "../helpers/runCli.js";
import { startTokenRecorder, type TokenRecorder } from "../helpers/tokenRecorder.js";
import { SOURCES } from "../../src/sources/index.js";

const DOCTOR_AS_USER = fileURLToPath(new URL("./fixtures/doctorAsUser.ts", import.meta.url));
const NOBODY = 65534;

let emulator: Emulator;
let closed: number;
let otherFolder: string;

beforeAll(async () => {
  emulator = await startEmulator();
  closed = await closedPort();
  otherFolder = await fs.mkdtemp(path.join(os.tmpdir(), "cli-doctor-other-"));
});
afterAll(async () => {
  await emulator.close();
  await fs.rm(otherFolder, { recursive: true, force: true });
});

const reportOf = (stdout: string): DoctorReport => JSON.parse(stdout) as DoctorReport;
const ids = (report: DoctorReport): string[] => report.findings.map((finding) => finding.id);
/** The human report with its line wrapping undone, to look for sentences in it. */
const flat = (text: string): string => text.replace(/\s+/g, " ");

describe("doctor on an emulated Azure Arc host", () => {
  let recorder: TokenRecorder;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    // The agent is reached through a forwarder that keeps the tokens, to look for them in the output.
    recorder = await startTokenRecorder(new URL(emulator.endpoints.arc!).origin);
    env = cliEnv(closed, {
      IDENTITY_ENDPOINT: `${recorder.origin}/metadata/identity/oauth2/token`,
      IMDS_ENDPOINT: recorder.origin,
    });
  });
  afterAll(() => recorder.close());

  it("finds Arc, says why, checks the endpoints, gets a token and shows its claims: never the token", async () => {
    const run = await runCli(["doctor", "--token-folder", emulator.tokenFolder!], env);
    expect(run.code).toBe(0);
    const identity = emulator.identities.systemAssigned!;
    for (const text of [
      "Azure Arc (arc)",
      "IDENTITY_ENDPOINT and IMDS_ENDPOINT are set",
      `IDENTITY_ENDPOINT                  ${recorder.origin}/metadata/identity/oauth2/token`,
      "TCP connect   ok in",
      "HTTP answer   answered 400",
      `TCP connect   failed after`,
      "ECONNREFUSED",
      `appid      ${identity.clientId}`,
      `oid        ${identity.objectId}`,
      `xms_mirid  ${identity.resourceId}`,
      `tid        ${emulator.identities.tenantId}`,
      "aud        https://management.azure.com",
      "Result: a token from Azure Arc (exit code 0",
    ]) {
      expect(run.stdout).toContain(text);
    }
    expect(run.stdout).toMatch(/exp {8}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
    expect(recorder.tokens.length).toBeGreaterThan(0);
    for (const token of recorder.tokens) {
      expect(run.stdout).not.toContain(token);
      expect(run.stderr).not.toContain(token);
    }
    expect(run.stdout).not.toMatch(JWT_PATTERN);
  });

  it("--json: the same report for scripts, claims and all, no token", async () => {
    const seen = recorder.tokens.length;
    const run = await runCli(["doctor", "--json", "--token-folder", emulator.tokenFolder!], env);
    expect(run.code).toBe(0);
    const report = reportOf(run.stdout);
    expect(report.detection.source).toBe("arc");
    expect(report.outcome).toBe("token");
    expect(report.exitCode).toBe(0);
    expect(report.endpoints[0]).toMatchObject({
      source: "arc",
      why: "the source in use",
      tcp: { ok: true },
      http: { ok: true, status: 400 },
    });
    expect(report.endpoints.find((e) => e.source === "imds")).toMatchObject({
      tcp: { ok: false },
      probe: { ok: false },
    });
    expect(report.arcTokenFolder).toMatchObject({ path: emulator.tokenFolder, ok: true });
    expect(report.token?.claims).toMatchObject({
      appid: emulator.identities.systemAssigned!.clientId,
      xms_mirid: emulator.identities.systemAssigned!.resourceId,
    });
    expect(report.findings).toEqual([]);
    expect(recorder.tokens.length).toBeGreaterThan(seen);
    for (const token of recorder.tokens) expect(run.stdout).not.toContain(token);
  });

  it("a challenge file outside the token folder: refused, and explained", async () => {
    const run = await runCli(["doctor", "--token-folder", otherFolder], env);
    expect(run.code).toBe(1);
    expect(flat(run.stdout)).toContain("not inside the agent's token folder");
    expect(flat(run.stdout)).toContain("named a challenge file outside the agent's token folder");
    expect(flat(run.stdout)).toContain("give it with --token-folder");
    expect(run.stdout).toContain("Result: Azure Arc found, but no token (exit code 1");
    const json = reportOf((await runCli(["doctor", "--json", "--token-folder", otherFolder], env)).stdout);
    expect(json.outcome).toBe("token-failed");
    expect(ids(json)).toEqual(["arc-file-outside-folder"]);
  });

  it("a challenge file this user may not read: join the himds group", async () => {
    // Where mode bits bind (not root): a token folder this user may not enter. As root, which they do
    // not bind: the real case, the agent's own folder, read by the unprivileged user nobody.
    const root = process.getuid?.() === 0;
    const denied = path.join(otherFolder, "denied");
    if (!root) await fs.mkdir(denied, { mode: 0o000 });
    const args = root
      ? [String(NOBODY), "--json", "--token-folder", emulator.tokenFolder!]
      : ["-", "--json", "--token-folder", denied];
    const run = await finished(startCli(args, env, DOCTOR_AS_USER)).finally(() =>
      root ? undefined : fs.chmod(denied, 0o700),
    );
    expect(run.code).toBe(1);
    const report = reportOf(run.stdout);
    expect(report.token?.ok).toBe(false);
    const finding = report.findings.find((f) => f.id === "arc-permission");
    expect(finding?.fix).toContain("usermod -a -G himds");
    if (root) expect(report.token?.error?.message).toContain("permission denied");
    else expect(report.arcTokenFolder).toMatchObject({ ok: false, detail: "EACCES: permission denied" });
  });
});

describe("doctor on a host with nothing", () => {
  it("finishes fast, says so, exit code 3", async () => {
    const run = await runCli(["doctor"], cliEnv(closed));
    expect(run.code).toBe(3);
    // Fast without a clock: the refused probe is the answer (no wait for its timeout, no retry).
    expect(flat(run.stdout)).toContain("ECONNREFUSED");
    expect(run.stdout).toContain("source    none");
    expect(flat(run.stdout)).toContain("No managed identity found on this machine.");
    expect(flat(run.stdout)).toContain("run 'azure-managed-identity emulate'");
    expect(run.stdout).toContain("Result: no managed identity found (exit code 3");
    expect(run.stdout).not.toContain("Token (");
  });

  it("lists the sources it checked one per line under the reason, not run together in one paragraph", async () => {
    const run = await runCli(["doctor"], cliEnv(closed));
    const lines = run.stdout.split("\n");
    const why = lines.findIndex((line) => line.startsWith("  why       No managed identity found on this machine."));
    expect(why).toBeGreaterThanOrEqual(0);
    // Each source checked starts its own line, indented under the reason (issue 21 §4).
    for (const source of SOURCES) {
      expect(lines.slice(why + 1).some((line) => line.startsWith(`              ${source.displayName} (`))).toBe(true);
    }
  });

  it("--json: outcome nothing-found, no token attempt", async () => {
    const run = await runCli(["doctor", "--json"], cliEnv(closed));
    expect(run.code).toBe(3);
    const report = reportOf(run.stdout);
    expect(report).toMatchObject({ outcome: "nothing-found", exitCode: 3, detection: { source: "none" } });
    expect(report.token).toBeUndefined();
    expect(ids(report)).toEqual(["nothing-found"]);
  });

  it("an IMDS that accepts connections and never answers: one probe, ended by the probe timeout", async () => {
    let requests = 0;
    // The token path only: the IMDSv2 check's one GET of the platform metadata is counted in doctorImdsV2.spec.ts.
    const hanging = http.createServer((request) => {
      if (request.url?.startsWith("/metadata/identity/oauth2/token")) requests++;
    });
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    const { port } = hanging.address() as AddressInfo;
    try {
      const run = await runCli(["doctor", "--json", "--probe-timeout", "300"], cliEnv(port));
      expect(run.code).toBe(3);
      // The probe's timeout ended the wait (without it the doctor would hang until the test's timeout),
      // and IMDS was probed once: the detection and the endpoint check share the probe.
      expect(requests).toBe(1);
      const imds = reportOf(run.stdout).endpoints.find((e) => e.source === "imds");
      expect(imds?.tcp?.ok).toBe(true);
      expect(imds?.probe).toMatchObject({ ok: false });
      expect(imds?.probe?.detail).toContain("no answer within 300 ms");
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });

  it("HTTP_PROXY without NO_PROXY for IMDS: warns about other tools, never shows the proxy's password", async () => {
    const proxy = `http://user:s3cret-pw@127.0.0.1:${closed}`;
    const run = await runCli(["doctor", "--json"], cliEnv(closed, { HTTP_PROXY: proxy }));
    const report = reportOf(run.stdout);
    const finding = report.findings.find((f) => f.id === "imds-proxy");
    expect(finding?.cause).toContain("never sends managed identity requests through a proxy");
    expect(finding?.fix).toContain("NO_PROXY");
    expect(run.stdout).not.toContain("s3cret-pw");
    const human = await runCli(["doctor"], cliEnv(closed, { HTTP_PROXY: proxy }));
    expect(flat(human.stdout)).toContain("HTTP_PROXY is set and NO_PROXY does not list 127.0.0.1");
    expect(human.stdout).not.toContain("s3cret-pw");

    const exempt = await runCli(
      ["doctor", "--json"],
      cliEnv(closed, { HTTP_PROXY: proxy, NO_PROXY: "localhost,127.0.0.1" }),
    );
    expect(ids(reportOf(exempt.stdout))).not.toContain("imds-proxy");
  });
});

describe("doctor on other emulated hosts", () => {
  it("App Service: the IDENTITY_HEADER secret is never shown", async () => {
    const header = emulator.env.appservice!["IDENTITY_HEADER"]!;
    const run = await runCli(["doctor"], cliEnv(closed, emulator.env.appservice));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("App Service (appservice)");
    expect(run.stdout).toMatch(/IDENTITY_HEADER +set \(value hidden\)/);
    expect(run.stdout).not.toContain(header);
    const json = await runCli(["doctor", "--json"], cliEnv(closed, emulator.env.appservice));
    expect(reportOf(json.stdout).environment.find((v) => v.name === "IDENTITY_HEADER")).toEqual({
      name: "IDENTITY_HEADER",
      set: true,
      secret: true,
    });
    expect(json.stdout).not.toContain(header);
  });

  it("IMDS without an identity (400): the identity is not assigned to the VM", async () => {
    const bare = await startEmulator({ sources: ["imds"], identities: { systemAssigned: null } });
    try {
      const run = await runCli(["doctor"], cliEnv(Number(new URL(bare.endpoints.imds!).port)));
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("IMDS (imds)");
      expect(flat(run.stdout)).toContain(
        "IMDS answered 400: no managed identity, or not the one asked for, is assigned to this VM.",
      );
      expect(flat(run.stdout)).toContain("az vm identity assign");
      const report = reportOf(
        (await runCli(["doctor", "--json"], cliEnv(Number(new URL(bare.endpoints.imds!).port)))).stdout,
      );
      expect(report.outcome).toBe("token-failed");
      expect(ids(report)).toEqual(["imds-identity-not-assigned"]);
    } finally {
      await bare.close();
    }
  });

  it("usage errors exit with 2", async () => {
    const run = await runCli(["doctor", "--probe-timeout", "0"], cliEnv(closed));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--probe-timeout must be a whole number from 1");
    expect(run.stderr).toContain("azure-managed-identity doctor --help");
  });
});
