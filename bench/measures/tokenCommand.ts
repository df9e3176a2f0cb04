import { spawn } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { assertLoopbackEnvironment } from "../loopback.js";
import type { Row } from "../report.js";
import { CPU_PREFIX } from "../worker/spec.js";
import { type Bench, numbers, pairedRatio, summaryOf } from "./bench.js";

/** What the emulator entry point gives the harness (the part it uses). */
interface EmulatorModule {
  startEmulator(options: { sources: string[] }): Promise<{
    env: { imds?: Record<string, string> };
    requests: unknown[];
    close(): Promise<void>;
  }>;
}

/**
 * Spawns `command` and resolves with the milliseconds from the spawn to its first complete line on stdout,
 * and that line; rejects when it exits without one or fails.
 */
function timeToFirstLine(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ ms: number; line: string; cpuMs: number | undefined }> {
  const start = performance.now();
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let first: { ms: number; line: string } | undefined;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    const end = stdout.indexOf("\n");
    if (first === undefined && end >= 0) first = { ms: performance.now() - start, line: stdout.slice(0, end) };
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      const cpu = stderr.split("\n").find((l) => l.startsWith(CPU_PREFIX));
      if (code === 0 && first !== undefined)
        resolve({ ...first, cpuMs: cpu === undefined ? undefined : Number(cpu.slice(CPU_PREFIX.length)) });
      else
        reject(
          new Error(
            `${path.basename(command)} ${args[0] ?? ""} failed (${signal ?? `exit ${code}`}): ${stderr.trim().slice(-1000)}`,
          ),
        );
    });
  });
}

/**
 * `node_modules/.bin/azure-managed-identity token` against the emulator, from the spawn to the token printed,
 * in turn with plain `node` starting and importing @azure/core-rest-pipeline (the floor of any command built on it).
 */
export async function measureTokenCommand(bench: Bench): Promise<Row[]> {
  const { settings } = bench;
  const { startEmulator } = (await import(settings.installed.emulatorEntry)) as EmulatorModule;
  const emulator = await startEmulator({ sources: ["imds"] });
  try {
    // The shebang's `env node` finds this same node first; nothing else is inherited (no proxy, no Azure settings).
    const env: Record<string, string> = {
      PATH: [path.dirname(process.execPath), process.env["PATH"] ?? "/usr/bin:/bin"].join(path.delimiter),
      HOME: process.env["HOME"] ?? "/tmp",
      ...emulator.env.imds,
    };
    // Both sides report the CPU they used up to their first line (a preload, the same for both).
    const preloads = ["cpuAtFirstLine.js", ...(settings.setup.guard ? ["loopbackGuard.js"] : [])];
    env["NODE_OPTIONS"] = preloads
      .map((file) => `--import ${pathToFileURL(path.join(settings.setup.folder, file)).href}`)
      .join(" ");
    assertLoopbackEnvironment(env);
    const command = ["token", "--source", "imds", "--resource", "https://vault.azure.net"];
    const plainCore = [path.join(settings.setup.folder, "plainCore.js"), settings.coreEntry];
    const trials = bench.quick ? 2 : 20;
    const r = await bench.inTurn("token command", trials, {
      ours: async () => {
        const { ms, line, cpuMs } = await timeToFirstLine(settings.installed.bin, command, env);
        if (line.split(".").length !== 3) throw new Error("the token command printed something that is not a JWT");
        return { ms, cpuMs };
      },
      core: async () => {
        const { ms, cpuMs } = await timeToFirstLine(process.execPath, plainCore, env);
        return { ms, cpuMs };
      },
    });
    const paired = pairedRatio(numbers(r.ours, "ms"), numbers(r.core, "ms"));
    const pairedCpu = pairedRatio(numbers(r.ours, "cpuMs"), numbers(r.core, "cpuMs"));
    return [
      {
        measure: "`azure-managed-identity token` (node_modules/.bin), spawn → token printed, against the emulator",
        source: "IMDS",
        unit: "ms",
        ours: summaryOf(r.ours, "ms"),
        theirs: summaryOf(r.core, "ms"),
        against: "plain node importing core-rest-pipeline",
        ratio: true,
        pairedRatio: paired,
        target: "≤ 1.3×",
        met: paired === undefined ? undefined : paired <= 1.3,
        note: "both timed from the spawn to their first line on stdout; the ratio is the median of the trial-by-trial ratios",
      },
      {
        measure: "`azure-managed-identity token`, CPU used up to the token printed (user + system)",
        source: "IMDS",
        unit: "ms",
        ours: summaryOf(r.ours, "cpuMs"),
        theirs: summaryOf(r.core, "cpuMs"),
        against: "plain node importing core-rest-pipeline",
        ratio: true,
        pairedRatio: pairedCpu,
        note: "the same runs; on a shared machine CPU time moves far less than wall time, which counts every wait for a core",
      },
    ];
  } finally {
    await emulator.close();
  }
}
