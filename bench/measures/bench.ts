import type { Fakes, FakeBehaviour } from "../fakes.js";
import { assertLoopbackEnvironment } from "../loopback.js";
import { type Cell, type Row, sig3 } from "../report.js";
import { runWorker, type WorkerSetup } from "../runWorker.js";
import { summarise } from "../stats.js";
import type { Library, Source, WorkerSpec } from "../worker/spec.js";

/** What the suite runs against and how much of it. */
export interface SuiteSettings {
  quick: boolean;
  fakes: Fakes;
  setup: WorkerSetup;
  /** Absolute paths of each library's ESM entry point (ours: the built dist). */
  entries: Record<Library, string>;
  /** The ESM entry point of @azure/core-rest-pipeline. */
  coreEntry: string;
  /** Ours as an application has it installed: `node_modules/.bin/azure-managed-identity` and the emulator's entry point. */
  installed: { bin: string; emulatorEntry: string };
  /** Whether the Arc fake writes to the agent's real token folder (in a private mount), which theirs requires. */
  arcForTheirs: boolean;
  /** Ours reads Arc challenge files from here when the agent's folder is not available. */
  oursArcTokenFolder: string | undefined;
  log: (line: string) => void;
}

/** Each measure's figures, by what was run (a library, or a baseline such as core-rest-pipeline alone). */
export type Trials<K extends string, T> = Record<K, T[]>;

/** What every measure is given: the settings and the ways to run trials side by side. */
export interface Bench {
  readonly settings: SuiteSettings;
  readonly quick: boolean;
  readonly fakes: Fakes;
  /** One worker run with fresh fakes; returns its figures plus the upstream requests the fakes saw. */
  once(
    spec: WorkerSpec,
    env: Record<string, string>,
    behaviour?: FakeBehaviour,
    nodeFlags?: string[],
  ): Promise<Record<string, unknown>>;
  /** Runs `trials` rounds of every runner in turn (A B C A B C …), so that a drift of the machine's speed hits all alike. */
  inTurn<K extends string, T>(
    label: string,
    trials: number,
    runners: Record<K, (() => Promise<T>) | undefined>,
  ): Promise<Trials<K, T>>;
  /** Runs `trials` rounds of ours then theirs; `include` leaves a library out (theirs without Arc). */
  alternate<T>(
    label: string,
    trials: number,
    run: (library: Library) => Promise<T>,
    include?: (library: Library) => boolean,
  ): Promise<Trials<Library, T>>;
  /** Whether a library can be measured on a source here (theirs needs the agent's real Arc folder). */
  available(library: Library, source: Source): boolean;
  /** Ours' Arc `tokenFolder` option when the agent's folder is not available. */
  tokenFolder(library: Library, source: Source): { tokenFolder?: string };
  /** The cell for a library that cannot be measured here. */
  readonly unavailable: string;
}

/** One measure of the suite: the rows it adds to the table. */
export type Measure = (bench: Bench) => Promise<Row[]>;

export const LIBRARIES: readonly Library[] = ["ours", "theirs"];
export const SOURCES: readonly Source[] = ["imds", "arc", "cloudshell"];
export const SOURCE_NAMES: Record<Source, string> = { imds: "IMDS", arc: "Arc", cloudshell: "Cloud Shell" };

/** Builds the {@link Bench} the measures share. */
export function createBench(settings: SuiteSettings): Bench {
  const { fakes, log } = settings;
  const inTurn = async <K extends string, T>(
    label: string,
    trials: number,
    runners: Record<K, (() => Promise<T>) | undefined>,
  ): Promise<Trials<K, T>> => {
    const keys = Object.keys(runners) as K[];
    const results = Object.fromEntries(keys.map((k) => [k, [] as T[]])) as unknown as Trials<K, T>;
    for (let trial = 0; trial < trials; trial++) {
      for (const key of keys) {
        const run = runners[key];
        if (run !== undefined) results[key].push(await run());
      }
    }
    log(`  ${label}: ${trials} trial(s) each`);
    return results;
  };
  return {
    settings,
    quick: settings.quick,
    fakes,
    async once(spec, env, behaviour = "ok", nodeFlags = []) {
      assertLoopbackEnvironment(env);
      fakes.reset();
      fakes.behaviour = behaviour;
      const result = await runWorker(settings.setup, spec, env, nodeFlags);
      result["upstream"] = fakes.imds.requests + fakes.arc.requests + fakes.cloudShell.requests;
      return result;
    },
    inTurn,
    alternate(label, trials, run, include = () => true) {
      const runner = (library: Library) => (include(library) ? () => run(library) : undefined);
      return inTurn(label, trials, { ours: runner("ours"), theirs: runner("theirs") });
    },
    available: (library, source) => library === "ours" || source !== "arc" || settings.arcForTheirs,
    tokenFolder: (library, source) =>
      library === "ours" && source === "arc" && settings.oursArcTokenFolder !== undefined
        ? { tokenFolder: settings.oursArcTokenFolder }
        : {},
    unavailable:
      "n/a (needs the private mount namespace: msal-node reads Arc challenge files only from /var/opt/azcmagent/tokens)",
  };
}

/** The variables that point both libraries at a source's fake. */
export function sourceEnv(fakes: Fakes, source: Source): Record<string, string> {
  switch (source) {
    case "imds":
      return { AZURE_POD_IDENTITY_AUTHORITY_HOST: fakes.imds.origin };
    case "arc":
      return {
        IDENTITY_ENDPOINT: `${fakes.arc.origin}/metadata/identity/oauth2/token`,
        IMDS_ENDPOINT: fakes.arc.origin,
      };
    case "cloudshell":
      return { MSI_ENDPOINT: `${fakes.cloudShell.origin}/oauth2/token` };
  }
}

export function numbers(values: readonly Record<string, unknown>[], key: string): number[] {
  return values.map((v) => v[key]).filter((v): v is number => typeof v === "number");
}

export function summaryOf(values: readonly Record<string, unknown>[], key: string): Cell {
  return summarise(numbers(values, key));
}

export function medianOf(cell: Cell): number | undefined {
  return typeof cell === "object" ? cell.median : undefined;
}

/** Whether the median ratio a/b is at most `limit`; `undefined` when either side has no figure. */
export function ratioAtMost(ours: Cell, theirs: Cell, limit: number): boolean | undefined {
  const a = medianOf(ours);
  const b = medianOf(theirs);
  return a === undefined || b === undefined ? undefined : a / b <= limit;
}

/**
 * The median of the trial-by-trial ratios a[i]/b[i] of runs made in turn: each pair ran at nearly the same
 * moment, so a machine that slows down or speeds up between pairs moves both sides of a pair alike.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number | undefined {
  const ratios = a.slice(0, b.length).map((x, i) => x / b[i]!);
  return summarise(ratios)?.median;
}

export function msText(ms: number): string {
  return ms >= 1000 ? `${sig3(ms / 1000)} s` : `${sig3(ms)} ms`;
}
