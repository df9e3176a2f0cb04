import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { assertLoopbackEnvironment } from "../loopback.js";
import { runWorker, type WorkerSetup } from "../runWorker.js";
import { sig3 } from "../report.js";
import type { ThrottleSettings } from "../storm/throttledImds.js";
import { startImdsThread } from "../storm/throttledImdsThread.js";
import type { Library } from "../worker/spec.js";
import { LIBRARIES } from "./bench.js";

/** What the storm is run with. */
export interface StormSettings {
  /** The numbers of processes started at once, one storm each. */
  sizes: readonly number[];
  setup: WorkerSetup;
  /** Absolute paths of each library's ESM entry point (ours: the built dist). */
  entries: Record<Library, string>;
  log: (line: string) => void;
}

/** IMDS's limits for managed identity token requests: 5 at once, 20 a second, per VM. */
const MAX_CONCURRENT = 5;
const PER_SECOND = 20;
/** How long the loopback IMDS takes to answer a token it accepts (the real one asks its own cache or Entra). */
const SERVICE_MS = 20;
/** The goal: the last token within this many times the larger floor. */
const GOAL_FACTOR = 1.25;
/** Workers run at this niceness, below the harness and its IMDS (which stands for a service off the VM's CPUs). */
const WORKER_NICENESS = 10;
/** Memory one storm process may take (resident, private), for the check that the machine can hold a storm. */
const PROCESS_MIB: Record<Library, number> = { ours: 40, theirs: 60 };

type Variant = "never" | "noRetryAfter" | "retryAfter1";
/** The floor, the throttled variants, and the floor again. */
const STORM_ORDER: readonly Variant[] = ["never", "noRetryAfter", "retryAfter1", "never"];
const VARIANT_NAMES: Record<Variant, string> = {
  never: "never throttles (floor)",
  noRetryAfter: "throttles, 429 without Retry-After",
  retryAfter1: "throttles, 429 with Retry-After: 1",
};

/** One storm's outcome. */
interface StormRun {
  tokens: number;
  failed: number;
  /** From the first spawn to the last token (or, when some failed, to the last process's end). */
  lastMs: number;
  throttled: number;
  requests: number;
  /** The most requests IMDS saw within one second. */
  peak: number;
  /** The distinct errors of failed processes, with their counts. */
  errors: string;
}

function throttle(variant: Variant): ThrottleSettings {
  return {
    throttle: variant !== "never",
    maxConcurrent: MAX_CONCURRENT,
    perSecond: PER_SECOND,
    retryAfterSeconds: variant === "retryAfter1" ? 1 : undefined,
    serviceMs: SERVICE_MS,
  };
}

/** How many processes of this size the machine's free memory holds, with 2 GiB to spare for everyone else. */
function fits(size: number, library: Library): boolean {
  const constrained = process.constrainedMemory?.() ?? 0;
  const free = Math.min(os.freemem(), constrained > 0 ? constrained : Infinity);
  return size * PROCESS_MIB[library] * 2 ** 20 + 2 * 2 ** 30 <= free;
}

/**
 * A start storm: the number of processes asked for, spawned at once, each importing its library and getting
 * one IMDS token from the loopback IMDS; the harness waits for every one of them.
 */
export async function measureStorms(settings: StormSettings): Promise<string> {
  const { log } = settings;
  const imds = await startImdsThread(throttle("never"));
  const setup: WorkerSetup = { ...settings.setup, niceness: WORKER_NICENESS, killAfterMs: 600_000 };

  const storm = async (size: number, library: Library, variant: Variant): Promise<StormRun | string> => {
    if (!fits(size, library))
      return `not run: ${size} processes need about ${Math.ceil((size * PROCESS_MIB[library]) / 1024)} GiB free`;
    await imds.reset(throttle(variant));
    // A temporary folder of the storm's own: ours queues its throttled processes in a file there
    // (src/pipeline/imdsHostQueue.ts), and no storm may start with another's queue.
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "azure-mi-bench-storm-"));
    const env = { AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.origin, TMPDIR: tmp };
    assertLoopbackEnvironment(env);
    const spec = { scenario: "stormToken" as const, library, entry: settings.entries[library] };
    const start = performance.timeOrigin + performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: size }, () =>
        runWorker(setup, spec, env).catch((error: unknown): Record<string, unknown> => ({
          result: "crashed",
          message: String((error as Error).message).split("\n")[0],
          failedAt: performance.timeOrigin + performance.now(),
        })),
      ),
    );
    await fs.rm(tmp, { recursive: true, force: true });
    const seen = await imds.stats();
    const ends = outcomes.map((o) => Number(o["tokenAt"] ?? o["failedAt"]));
    const failures = outcomes.filter((o) => o["result"] !== "token");
    const errors = new Map<string, number>();
    for (const f of failures) {
      const key = `${String(f["result"])}: ${String(f["message"] ?? "").slice(0, 80)}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
    }
    const run: StormRun = {
      tokens: size - failures.length,
      failed: failures.length,
      lastMs: Math.max(...ends) - start,
      throttled: seen.throttled,
      requests: seen.requests,
      peak: seen.peak,
      errors: [...errors].map(([text, count]) => `${count}× ${text}`).join("; "),
    };
    log(
      `  storm ${size} ${library} ${variant}: ${run.tokens} tokens, ${run.failed} failed, last at ${(run.lastMs / 1000).toFixed(1)} s, ${run.throttled} × 429, ${run.requests} requests, at most ${run.peak} in one second`,
    );
    return run;
  };

  const lines = [
    "| processes | IMDS | library | tokens | failed | last token | 429s (per process) | last ÷ larger floor | goal |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  const notes: string[] = [];
  try {
    for (const size of settings.sizes) {
      const runs = new Map<string, StormRun | string>();
      // The floor before and after the throttled variants, ours then theirs within each, so drift hits both
      // alike: two storms of the same size on a shared 2-CPU machine differed by 40% minutes apart, so the CPU
      // floor is the mean of the two that bracket the throttled storms.
      for (const variant of STORM_ORDER) {
        for (const library of LIBRARIES) {
          const key = runs.has(`${variant} ${library}`) ? `${variant} after ${library}` : `${variant} ${library}`;
          runs.set(key, await storm(size, library, variant));
        }
      }
      const imdsFloorMs = (size / PER_SECOND) * 1000;
      for (const variant of Object.keys(VARIANT_NAMES) as Variant[]) {
        for (const library of LIBRARIES) {
          const run = runs.get(`${variant} ${library}`)!;
          if (typeof run === "string") {
            lines.push(`| ${size} | ${VARIANT_NAMES[variant]} | ${library} | ${run} | | | | | |`);
            continue;
          }
          const floors = [runs.get(`never ${library}`)!, runs.get(`never after ${library}`)!];
          const cpuFloorMs = floors.every((f) => typeof f !== "string" && f.failed === 0)
            ? (floors as StormRun[]).reduce((sum, f) => sum + f.lastMs, 0) / floors.length
            : undefined;
          const larger = cpuFloorMs === undefined ? undefined : Math.max(cpuFloorMs, imdsFloorMs);
          const ratio = larger === undefined ? undefined : run.lastMs / larger;
          const perProcess = run.throttled / size;
          // A failed process or a 429 too many is a miss whatever the floors; a storm IMDS never throttled proves
          // nothing about the retries, whatever its time.
          const met =
            variant === "never"
              ? ""
              : run.failed > 0 || perProcess >= 1 || (ratio !== undefined && ratio > GOAL_FACTOR)
                ? "**no**"
                : ratio === undefined
                  ? "— (no floor)"
                  : run.throttled === 0
                    ? "not exercised (no 429)"
                    : "yes";
          const after = floors[1]!;
          const floorText =
            variant === "never"
              ? `floors: CPUs ${cpuFloorMs === undefined ? "—" : secondsText(cpuFloorMs)} (mean of the storms before and after), IMDS ${size}/${PER_SECOND} = ${secondsText(imdsFloorMs)}`
              : ratio === undefined
                ? "—"
                : `${ratio.toFixed(2)}×`;
          const lastText =
            variant === "never" && typeof after !== "string"
              ? `${secondsText(run.lastMs)} before, ${secondsText(after.lastMs)} after`
              : secondsText(run.lastMs);
          // The floor's row shows both of its storms, before and after.
          const both = (figure: (r: StormRun) => number): string =>
            variant === "never" && typeof after !== "string" ? `${figure(run)}, ${figure(after)}` : `${figure(run)}`;
          lines.push(
            `| ${size} | ${VARIANT_NAMES[variant]} | ${library === "ours" ? "azure-managed-identity" : "@azure/identity"} | ${both((r) => r.tokens)} | ${both((r) => r.failed)} | ${lastText} | ${run.throttled} (${perProcess.toFixed(2)}) | ${floorText} | ${met} |`,
          );
          if (variant === "never" && typeof after !== "string" && after.errors)
            notes.push(`- ${size} processes, ${VARIANT_NAMES[variant]} (after), ${library}: ${after.errors}`);
          if (run.errors) notes.push(`- ${size} processes, ${VARIANT_NAMES[variant]}, ${library}: ${run.errors}`);
        }
      }
    }
  } finally {
    await imds.close();
  }
  const legend = [
    "",
    `The loopback IMDS accepts ${MAX_CONCURRENT} token requests at once and ${PER_SECOND} in any sliding second, answers each it accepts after ${SERVICE_MS} ms, and answers 429 at once beyond (a 429 does not count against the limits).`,
    `Every process is spawned at once at niceness ${WORKER_NICENESS} (the IMDS runs in a thread of its own, at niceness -10 where the system allows: the real IMDS is not on the VM's CPUs); "last token" counts from the first spawn.`,
    `Floors, measured in the same run: the same processes against an IMDS that never throttles (what the CPUs allow: the mean of one storm before and one after the throttled ones), and processes/${PER_SECOND} s (what IMDS allows).`,
    `Goal (throttling rows): no process fails, the last token within ${GOAL_FACTOR}× the larger floor, fewer than one 429 per process.`,
  ];
  return [...lines, ...legend, ...(notes.length > 0 ? ["", "Failures:", ...notes] : [])].join("\n");
}

function secondsText(ms: number): string {
  return `${sig3(ms / 1000)} s`;
}
