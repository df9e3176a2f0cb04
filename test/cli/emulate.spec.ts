// `azure-managed-identity emulate`, spawned in the foreground: its printed settings, its fault
// injection as a credential sees it, and a clean stop on SIGTERM, SIGINT and SIGHUP.
import { type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { emulatorOptionsFrom } from "../../src/cli/emulateCommand.js";
import { UsageError } from "../../src/cli/usageError.js";
import { ArcCredential, ImdsCredential } from "../../src/index.js";
import { FakeAzureCli } from "../helpers/fakeAzureCli.js";
import { claimsOf, cliEnv, closedPort, finished, runCli, startCli } from "../helpers/runCli.js";

const SCOPE = "https://vault.azure.net/.default";
const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Starts `emulate`, and resolves with its process, its output so far and how it ends, once its settings are printed. */
async function startEmulate(args: string[], until: (stdout: string) => boolean, vars: Record<string, string> = {}) {
  const child = startCli(["emulate", ...args], cliEnv(await closedPort(), vars));
  running.push(child);
  const done = finished(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.on("data", (chunk: string) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (stderr.includes("Emulator running") && until(stdout)) resolve();
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    void done.then((run) => reject(new Error(`emulate ended early (${run.code}): ${run.stderr}`)));
  });
  return { child, done, output: () => ({ stdout, stderr }) };
}

describe("emulate", () => {
  it("--fail 500,200: a credential sees the 500, retries, gets the token; SIGTERM stops it with exit code 0", async () => {
    const emulate = await startEmulate(["--sources", "imds", "--fail", "500,200", "--json"], (out) =>
      out.includes("\n"),
    );
    const settings = JSON.parse(emulate.output().stdout.split("\n")[0]!) as {
      endpoints: { imds: string; arc?: string };
      env: { imds: Record<string, string> };
    };
    expect(settings.endpoints.arc).toBeUndefined();
    expect(settings.env.imds["AZURE_POD_IDENTITY_AUTHORITY_HOST"]).toBe(new URL(settings.endpoints.imds).origin);

    const credential = new ImdsCredential({
      endpoint: settings.endpoints.imds,
      retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 50 },
    });
    const token = await credential.getToken(SCOPE);
    expect(claimsOf(token.token)["aud"]).toBe("https://vault.azure.net");

    emulate.child.kill("SIGTERM");
    const run = await emulate.done;
    expect(run.code).toBe(0);
    // The request log, complete once the process has ended.
    const log = run.stderr.split("\n").filter((line) => line.startsWith("imds GET"));
    expect(log.map((line) => line.split(" -> ")[1])).toEqual(["500", "200"]);
    expect(run.stderr).toContain("SIGTERM: stopping the emulator.");
    expect(run.stderr).toContain("Emulator stopped.");
  });

  it("prints the variables for each source; Arc's token folder works, and is removed on SIGINT", async () => {
    const emulate = await startEmulate([], (out) => out.includes("--token-folder"));
    const { stdout } = emulate.output();
    const variable = (name: string): string => new RegExp(`export ${name}='([^']+)'`).exec(stdout)![1]!;
    const folder = /--token-folder '([^']+)'/.exec(stdout)![1]!;
    for (const text of [
      "IMDS",
      "Azure Arc",
      "Cloud Shell",
      "App Service",
      "Key Vault",
      "export MSI_ENDPOINT=",
      "export IDENTITY_HEADER=",
    ]) {
      expect(stdout).toContain(text);
    }
    const token = await new ArcCredential({ endpoint: variable("IDENTITY_ENDPOINT"), tokenFolder: folder }).getToken(
      SCOPE,
    );
    expect(claimsOf(token.token)["aud"]).toBe("https://vault.azure.net");
    expect(variable("AZURE_POD_IDENTITY_AUTHORITY_HOST")).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(folder)).toBe(true);

    emulate.child.kill("SIGINT");
    const run = await emulate.done;
    expect(run.code).toBe(0);
    expect(existsSync(folder)).toBe(false);
  });

  it("SIGHUP (a closed terminal) stops it like SIGINT: exit code 0, and the --token-folder it made is removed", async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), "emulate-hup-"));
    try {
      const made = path.join(parent, "made");
      const emulate = await startEmulate(
        ["--sources", "arc", "--token-folder", path.join(made, "tokens"), "--json"],
        (out) => out.includes("\n"),
      );
      expect(existsSync(path.join(made, "tokens"))).toBe(true);
      emulate.child.kill("SIGHUP");
      const run = await emulate.done;
      expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
      expect(run.stderr).toContain("SIGHUP: stopping the emulator.");
      expect(existsSync(made)).toBe(false);
      expect(existsSync(parent)).toBe(true);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it("--retry-after and --throttle-after reach the wire", async () => {
    const emulate = await startEmulate(
      ["--sources", "imds", "--throttle-after", "1", "--retry-after", "7", "--json"],
      (out) => out.includes("\n"),
    );
    const { endpoints } = JSON.parse(emulate.output().stdout.split("\n")[0]!) as { endpoints: { imds: string } };
    const get = (): Promise<{ status: number; retryAfter: string | undefined }> =>
      new Promise((resolve, reject) => {
        const url = `${endpoints.imds}?api-version=2018-02-01&resource=https://vault.azure.net`;
        http
          .get(url, { headers: { Metadata: "true" }, agent: false }, (res) => {
            res.resume();
            resolve({ status: res.statusCode!, retryAfter: res.headers["retry-after"] as string | undefined });
          })
          .on("error", reject);
      });
    expect(await get()).toEqual({ status: 200, retryAfter: undefined });
    expect(await get()).toEqual({ status: 429, retryAfter: "7" });
    emulate.child.kill("SIGTERM");
    expect((await emulate.done).code).toBe(0);
  });

  it("a port already taken: exit code 1 and why", async () => {
    const taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      const run = await runCli(
        ["emulate", "--sources", "imds", "--port-base", String(port)],
        cliEnv(await closedPort()),
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("the emulator could not start");
      expect(run.stderr).toContain("EADDRINUSE");
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it("a bad fault step is a usage error (exit code 2)", async () => {
    const run = await runCli(["emulate", "--fail", "410,teapot"], cliEnv(await closedPort()));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("'teapot' is not an HTTP status");
  });
});

describe("emulate --tokens-from azure-cli", () => {
  it("serves the Azure CLI's token by IMDS, prints the container lines, logs the resource and never the token", async () => {
    const az = new FakeAzureCli();
    try {
      const emulate = await startEmulate(
        ["--tokens-from", "azure-cli", "--listen", "0.0.0.0"],
        (out) => out.includes("extra_hosts"),
        { PATH: az.path() },
      );
      const { stdout } = emulate.output();
      expect(stdout).toMatch(
        /docker run --add-host=host\.docker\.internal:host-gateway -e IDENTITY_ENDPOINT=http:\/\/host\.docker\.internal:\d+\/msi\/token -e IDENTITY_HEADER=[0-9a-f]{32} <image>/,
      );
      expect(stdout).toMatch(/listens on 0\.0\.0\.0:\d+, beyond this machine's loopback/);
      const imds = /AZURE_POD_IDENTITY_AUTHORITY_HOST='(http:\/\/127\.0\.0\.1:\d+)'/.exec(stdout)![1]!;
      const token = await new ImdsCredential({ endpoint: imds }).getToken(SCOPE);
      expect(claimsOf(token.token)).toMatchObject({ aud: "https://vault.azure.net", upn: "developer@contoso.com" });
      emulate.child.kill("SIGTERM");
      const run = await emulate.done;
      expect(run.stderr).toMatch(
        /imds GET \/metadata\/identity\/oauth2\/token\?.*resource=https%3A%2F%2Fvault\.azure\.net.* -> 200/,
      );
      expect(run.stderr + run.stdout).not.toContain(token.token);
      expect(az.runs()).toHaveLength(1);
    } finally {
      az.remove();
    }
  });

  it("--tokens-from and --listen are checked", () => {
    expect(emulatorOptionsFrom(["--tokens-from", "azure-cli", "--listen", "0.0.0.0"])).toMatchObject({
      options: { tokensFrom: "azure-cli", listen: "0.0.0.0" },
    });
    expect(() => emulatorOptionsFrom(["--tokens-from", "az"])).toThrow(/--tokens-from takes 'emulator' or 'azure-cli'/);
    expect(() => emulatorOptionsFrom(["--listen", "0.0.0.0; rm -rf /"])).toThrow(/--listen takes an IP address/);
  });
});

describe("emulate's options", () => {
  it("map to the emulator's", () => {
    const parsed = emulatorOptionsFrom([
      "--sources",
      "imds,arc",
      "--fail",
      "410,hang,200",
      "--retry-after",
      "3",
      "--latency",
      "50",
      "--hang",
      "--throttle-after",
      "4",
      "--port-base",
      "40000",
      "--token-folder",
      "/tmp/x",
      "--json",
    ]);
    expect(parsed).toEqual({
      json: true,
      options: {
        sources: ["imds", "arc"],
        faults: { statusSequence: [410, "hang", 200], retryAfter: 3, latencyMs: 50, hang: true, throttleAfter: 4 },
        ports: {
          imds: 40000,
          arc: 40001,
          cloudshell: 40002,
          appservice: 40003,
          keyvault: 40004,
          servicefabric: 40005,
          azureml: 40006,
          workloadidentity: 40007,
        },
        arc: { tokenFolder: "/tmp/x" },
      },
    });
  });

  it("no options: every source, no faults, free ports", () => {
    expect(emulatorOptionsFrom([])).toEqual({ json: false, options: { faults: {} } });
  });

  it.each([
    [["--sources", "imds,ftp"], "'ftp' is not one"],
    [["--sources", ","], "--sources takes a list"],
    [["--latency", "1.5"], "--latency must be a whole number"],
    [["--port-base", "65533"], "--port-base must be a whole number from 1 to 65528"],
    [["--hang=yes"], "--hang"],
  ])("%j is a usage error", (args, message) => {
    expect(() => emulatorOptionsFrom(args)).toThrow(UsageError);
    expect(() => emulatorOptionsFrom(args)).toThrow(message);
  });
});
