import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository, where `node --import tsx src/cli/main.ts` runs without a build. */
export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = path.join(REPO, "src", "cli", "main.ts");
/** Preloaded into every child: a connection to anything but loopback throws there (test/setup.ts does not reach children). */
const GUARD = pathToFileURL(path.join(REPO, "test", "helpers", "installLoopbackSocketGuard.ts")).href;

/** What a finished run of the command line gave. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A port on 127.0.0.1 where nothing listens: taken from the system, then released. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The child's whole environment, nothing inherited: PATH and HOME, IMDS pointed at a closed
 * loopback port (so that nothing ever goes to 169.254.169.254), then `vars`.
 */
export function cliEnv(imdsPort: number, vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: os.tmpdir(),
    AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${imdsPort}`,
    ...vars,
  };
}

/** Starts the command line from source (tsx), asynchronously, so that servers in this process keep answering. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, script = CLI): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "--import", GUARD, script, ...args], {
    cwd: REPO,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Collects a child's output until it exits. */
export function finished(child: ChildProcess): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the command line to its end. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return finished(startCli(args, env));
}

/** The claims of a JWT, unchecked. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

/** Anything shaped like a JWT. */
export const JWT_PATTERN = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;
