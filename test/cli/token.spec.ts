// `azure-managed-identity token`, spawned as a child process against the emulator on loopback.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { claimsOf, cliEnv, closedPort, runCli } from "../helpers/runCli.js";

const VAULT = "https://vault.azure.net";
let emulator: Emulator;
let closed: number;
/** A folder that is not the emulated agent's. */
let otherFolder: string;

beforeAll(async () => {
  emulator = await startEmulator();
  closed = await closedPort();
  otherFolder = await fs.mkdtemp(path.join(os.tmpdir(), "cli-other-folder-"));
});
afterAll(async () => {
  await emulator.close();
  await fs.rm(otherFolder, { recursive: true, force: true });
});

/** The child's environment for one emulated source, IMDS elsewhere pointed at a closed port. */
function envFor(source: "imds" | "arc" | "cloudshell" | "appservice"): NodeJS.ProcessEnv {
  return cliEnv(closed, emulator.env[source]);
}

describe("token, against each emulated source", () => {
  it.each([
    ["imds", []],
    ["arc", () => ["--token-folder", emulator.tokenFolder!]],
    ["cloudshell", []],
    ["appservice", []],
  ] as const)("%s: prints the token alone on stdout", async (source, extra) => {
    const before = emulator.requests.filter((r) => r.endpoint === source).length;
    const args = typeof extra === "function" ? extra() : [...extra];
    const run = await runCli(["token", "--source", source, "--scope", `${VAULT}/.default`, ...args], envFor(source));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe("");
    expect(claimsOf(lines[0]!)["aud"]).toBe(VAULT);
    expect(emulator.requests.filter((r) => r.endpoint === source).length).toBeGreaterThan(before);
  });

  it("arc with --json: token, expiresOn as ISO, tokenType, source; the machine's own identity", async () => {
    const run = await runCli(
      ["token", "--source", "arc", "--resource", VAULT, "--token-folder", emulator.tokenFolder!, "--json"],
      envFor("arc"),
    );
    expect(run.code).toBe(0);
    const output = JSON.parse(run.stdout) as Record<string, string>;
    expect(output).toMatchObject({ tokenType: "Bearer", source: "arc", scope: VAULT });
    expect(new Date(output["expiresOn"]!).toISOString()).toBe(output["expiresOn"]);
    expect(Date.parse(output["expiresOn"]!)).toBeGreaterThan(Date.now());
    expect(claimsOf(output["token"]!)["appid"]).toBe(emulator.identities.systemAssigned!.clientId);
  });

  it("auto: detects Azure Arc from IDENTITY_ENDPOINT and IMDS_ENDPOINT", async () => {
    const run = await runCli(
      ["token", "--resource", VAULT, "--token-folder", emulator.tokenFolder!, "--json"],
      envFor("arc"),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ source: "arc" });
  });

  it("auto: probes IMDS when nothing else is set, and uses it when it answers", async () => {
    const run = await runCli(["token", "--resource", VAULT, "--json"], envFor("imds"));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ source: "imds", tokenType: "Bearer" });
  });

  it("--endpoint takes the place of the environment", async () => {
    const run = await runCli(
      ["token", "--source", "imds", "--endpoint", emulator.endpoints.imds!, "--resource", VAULT],
      cliEnv(closed),
    );
    expect(run.code).toBe(0);
    expect(claimsOf(run.stdout.trim())["aud"]).toBe(VAULT);
  });

  it("--client-id asks for the user-assigned identity", async () => {
    const identity = emulator.identities.userAssigned[0]!;
    const run = await runCli(
      ["token", "--source", "imds", "--resource", VAULT, "--client-id", identity.clientId],
      envFor("imds"),
    );
    expect(run.code).toBe(0);
    expect(claimsOf(run.stdout.trim())).toMatchObject({ appid: identity.clientId, oid: identity.objectId });
  });

  it("--resource-id asks for the user-assigned identity on Arc too", async () => {
    const identity = emulator.identities.userAssigned[0]!;
    const run = await runCli(
      [
        "token",
        "--source",
        "arc",
        "--resource",
        VAULT,
        "--resource-id",
        identity.resourceId,
        "--token-folder",
        emulator.tokenFolder!,
      ],
      envFor("arc"),
    );
    expect(run.code).toBe(0);
    expect(claimsOf(run.stdout.trim())["xms_mirid"]).toBe(identity.resourceId);
  });
});

describe("token failures: exit code 1, the reason on stderr, nothing on stdout", () => {
  it("a source that is not there", async () => {
    const run = await runCli(["token", "--source", "imds"], cliEnv(closed));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("CredentialUnavailableError");
    expect(run.stderr).toContain(`127.0.0.1:${closed}`);
  });

  it("auto with nothing found points at doctor", async () => {
    const run = await runCli(["token"], cliEnv(closed));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("No managed identity found");
    expect(run.stderr).toContain("azure-managed-identity doctor");
  });

  it("an Arc challenge file outside the token folder is refused", async () => {
    const run = await runCli(["token", "--source", "arc", "--token-folder", otherFolder], envFor("arc"));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("not inside the agent's token folder");
  });
});

describe("usage errors: exit code 2 and a pointer to --help", () => {
  it.each([
    [["token", "--bogus"], "Unknown option '--bogus'"],
    [["token", "--scope", "a", "--resource", "b"], "not both"],
    [["token", "--client-id", "a", "--object-id", "b"], "at most one"],
    [["token", "--source", "nowhere"], "--source must be"],
    [["token", "--endpoint", "http://127.0.0.1:1"], "--endpoint needs --source"],
    [["token", "--source", "imds", "--token-folder", "/x"], "Azure Arc"],
    [["token", "--timeout", "soon"], "--timeout must be a whole number"],
    [["token", "extra"], "Unexpected argument 'extra'"],
    [["frobnicate"], "Unknown command 'frobnicate'"],
    [["token", "--scope", "a", "--scope", "b"], "--scope is given more than once"],
    [["token", "--scope", "not a url"], '--scope "not a url"'],
    [["token", "--timeout", "-5"], "--timeout must be a whole number"],
  ])("%j", async (args, message) => {
    const run = await runCli(args, cliEnv(closed));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(message);
    expect(run.stderr).toMatch(/Run 'azure-managed-identity( token)? --help'/);
  });

  it("an identity on a source that takes none is refused before anything is sent", async () => {
    const before = emulator.requests.length;
    const run = await runCli(["token", "--source", "cloudshell", "--client-id", "x"], envFor("cloudshell"));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Cloud Shell cannot use");
    expect(emulator.requests.length).toBe(before);
  });
});

describe("help", () => {
  it("--help lists the commands and the exit codes", async () => {
    const run = await runCli(["--help"], cliEnv(closed));
    expect(run.code).toBe(0);
    for (const text of ["token", "doctor", "emulate", "Exit codes:", "3  doctor found no managed identity"])
      expect(run.stdout).toContain(text);
  });

  it("no command: a usage error, so the help goes to stderr (stdout stays empty) with exit code 2", async () => {
    const run = await runCli([], cliEnv(closed));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("Usage:");
  });

  it.each([
    [
      ["token", "--help"],
      ["--scope S", "--source S", "--token-folder DIR", "Exit codes:"],
    ],
    [
      ["help", "doctor"],
      ["--probe-timeout MS", "--json", "Exit codes:"],
    ],
    [
      ["emulate", "-h"],
      ["--fail LIST", "--retry-after S", "--port-base N", "SIGTERM", "Exit codes:"],
    ],
  ])("%j", async (args, texts) => {
    const run = await runCli(args, cliEnv(closed));
    expect(run.code).toBe(0);
    for (const text of texts) expect(run.stdout).toContain(text);
  });

  it("--version", async () => {
    const run = await runCli(["--version"], cliEnv(closed));
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
