import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { RESULT_PREFIX, type WorkerSpec } from "./worker/spec.js";

/** How worker processes are started. */
export interface WorkerSetup {
  /** The folder of the compiled workers. */
  folder: string;
  /** Preload the loopback guard (when there is no loopback-only namespace). */
  guard: boolean;
  /** A hard limit on one worker's life. */
  killAfterMs: number;
  /**
   * The niceness a worker gets right after its spawn (the start storm's hundreds of workers run below the
   * harness, whose loopback IMDS stands for a service that is not on the VM's CPUs). Default: unchanged.
   */
  niceness?: number;
}

/** Variables a worker inherits from the harness; everything else (proxies, Azure settings) is dropped. */
const INHERITED = ["PATH", "HOME", "TMPDIR", "LANG", "SystemRoot"];

/**
 * Runs one worker process with exactly the environment given (plus PATH and HOME) and returns
 * the figures it printed.
 */
export function runWorker(
  setup: WorkerSetup,
  spec: WorkerSpec,
  env: Record<string, string>,
  nodeFlags: string[] = [],
): Promise<Record<string, unknown>> {
  const base: Record<string, string> = {};
  for (const name of INHERITED) if (process.env[name] !== undefined) base[name] = process.env[name]!;
  const flags = [...nodeFlags];
  if (setup.guard) flags.push("--import", pathToFileURL(path.join(setup.folder, "loopbackGuard.js")).href);
  const child = spawn(process.execPath, [...flags, path.join(setup.folder, "main.js"), JSON.stringify(spec)], {
    env: { ...base, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (setup.niceness !== undefined && child.pid !== undefined) {
    try {
      os.setPriority(child.pid, setup.niceness);
    } catch {
      // already gone, or not allowed here: it runs at the harness's priority
    }
  }
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill("SIGKILL"), setup.killAfterMs);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line !== undefined) {
        resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as Record<string, unknown>);
        return;
      }
      reject(
        new Error(
          `worker ${spec.scenario}${"library" in spec ? `/${spec.library}` : ""} failed (${signal ?? `exit ${code}`}):\n${stderr.trim().slice(-2000)}`,
        ),
      );
    });
  });
}
