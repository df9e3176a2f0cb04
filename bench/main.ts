// The side-by-side benchmark: azure-managed-identity against @azure/identity's ManagedIdentityCredential,
// on the same loopback fakes, in one run. `npm run bench [-- --quick] [-- --write] [-- --no-namespace]`;
// `npm run bench -- --storm [--storm-sizes 20,50]` runs the start storm instead; see bench/RESULTS.md.
import { execFileSync } from "node:child_process";
import { promises as fs, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileWorkers } from "./compileWorkers.js";
import { startFakes } from "./fakes.js";
import { type Footprint, measureFootprint, readCachedFootprint } from "./footprint.js";
import { ARC_FOLDER_MARKER, isLoopbackOnly, NAMESPACE_MARKER, reexecInLoopbackNamespace } from "./loopback.js";
import { renderTable, type Row } from "./report.js";
import { measureStorms } from "./measures/storm.js";
import { runSuite } from "./suite.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cacheFolder = path.join(root, "node_modules", ".cache", "azure-managed-identity-bench");
const footprintCache = path.join(cacheFolder, "footprint.json");
/**
 * Ours installed as an application has it, from a copy of dist/esm taken at the start (dist is shared, and a
 * rebuild during the run must not pull it away): `node_modules/azure-managed-identity` and its `.bin` link.
 * The copy still resolves its dependencies from this repository's node_modules.
 */
const installFolder = path.join(cacheFolder, "install", "node_modules");
const installedPackage = path.join(installFolder, "azure-managed-identity");
const installedBin = path.join(installFolder, ".bin", "azure-managed-identity");
/** The footprint installs the very version the side-by-side runs load (the lock file pins one that runs on Node 20). */
const THEIRS_SPEC = `@azure/identity@${
  JSON.parse(readFileSync(path.join(root, "node_modules", "@azure", "identity", "package.json"), "utf8")).version
}`;
const FOOTPRINT_STATE = "AZURE_MI_BENCH_FOOTPRINT";
const NETWORK_STATE = "AZURE_MI_BENCH_NETWORK";
const BUILT_FROM = "AZURE_MI_BENCH_BUILT_FROM";

const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const storm = args.has("--storm");

/** `--storm-sizes 20,50` (or `=20,50`): the storm's process counts; 100, 250, 500 by default, 10 with --quick. */
function stormSizes(): number[] {
  const argv = process.argv.slice(2);
  const at = argv.findIndex((a) => a === "--storm-sizes" || a.startsWith("--storm-sizes="));
  if (at < 0) return quick ? [10] : [100, 250, 500];
  const value = argv[at]!.includes("=") ? argv[at]!.split("=")[1]! : (argv[at + 1] ?? "");
  const sizes = value.split(",").map(Number);
  if (sizes.length === 0 || !sizes.every((n) => Number.isInteger(n) && n > 0 && n <= 2000))
    throw new Error(`--storm-sizes takes whole numbers from 1 to 2000, separated by commas; got '${value}'`);
  return sizes;
}
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function newestMtime(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds dist when it is missing or older than src/ or scripts/, so that fresh processes import what the sources say. */
function ensureBuilt(): void {
  const entry = path.join(root, "dist", "esm", "index.js");
  let builtAt = 0;
  try {
    builtAt = statSync(entry).mtimeMs;
  } catch {
    // not built
  }
  // The build's own scripts count too: a change of the bundler's settings changes what dist holds.
  const sources = Math.max(newestMtime(path.join(root, "src")), newestMtime(path.join(root, "scripts")));
  if (builtAt > 0 && (args.has("--no-build") || sources <= builtAt)) return;
  log("== building dist (npm run build)");
  execFileSync(process.execPath, [path.join(root, "scripts", "build.mjs")], { cwd: root, stdio: "inherit" });
}

/** Copies dist/esm into the installed package and links its bin, as `npm install` would. */
async function snapshotDist(): Promise<void> {
  await fs.rm(installFolder, { recursive: true, force: true });
  await fs.mkdir(path.join(installFolder, ".bin"), { recursive: true });
  await fs.cp(path.join(root, "dist", "esm"), path.join(installedPackage, "dist", "esm"), { recursive: true });
  const { name, version } = JSON.parse(await fs.readFile(path.join(root, "package.json"), "utf8"));
  const bin = "dist/esm/cli/main.js";
  await fs.writeFile(
    path.join(installedPackage, "package.json"),
    JSON.stringify({ name, version, type: "module", sideEffects: false, bin: { [name]: bin } }) + "\n",
  );
  await fs.chmod(path.join(installedPackage, bin), 0o755);
  await fs.symlink(path.join("..", "azure-managed-identity", bin), installedBin);
}

/** The install footprint, measured outside the namespace (it needs the registry) or taken from the cache. */
async function footprintBeforeNamespace(): Promise<void> {
  if (storm) return;
  if (quick || args.has("--cached-footprint")) {
    process.env[FOOTPRINT_STATE] = (await readCachedFootprint(footprintCache)) ? "cached" : "none";
    return;
  }
  log("== measuring the install footprint (npm pack + npm install --omit=dev, needs the registry)");
  try {
    await measureFootprint(root, THEIRS_SPEC, footprintCache);
    process.env[FOOTPRINT_STATE] = "fresh";
  } catch (error) {
    log(`   could not measure it (${(error as Error).message.split("\n")[0]}); using the cached figures if any`);
    process.env[FOOTPRINT_STATE] = (await readCachedFootprint(footprintCache)) ? "cached" : "none";
  }
}

function footprintRows(footprint: Footprint | undefined): Row[] {
  const note =
    footprint === undefined
      ? "not measured (run without --quick, with the registry reachable)"
      : process.env[FOOTPRINT_STATE] === "fresh"
        ? undefined
        : `cached figures, measured ${footprint.measuredAt}`;
  const one = (value: number) => ({ median: value, min: value, max: value, trials: 1 });
  const MiB = 1024 * 1024;
  return [
    {
      measure: "install: packages (production install)",
      source: "—",
      unit: "count",
      ours: footprint && one(footprint.ours.packages),
      theirs: footprint && one(footprint.theirs.packages),
      ratio: true,
      target: "ours ≤ 14",
      met: footprint && footprint.ours.packages <= 14,
      note,
    },
    {
      measure: "install: bytes (production install)",
      source: "—",
      unit: "MiB",
      ours: footprint && one(footprint.ours.bytes / MiB),
      theirs: footprint && one(footprint.theirs.bytes / MiB),
      ratio: true,
      target: "ours ≤ 5 MiB",
      met: footprint && footprint.ours.bytes <= 5 * MiB,
    },
  ];
}

/** Which sources the measured dist was built from: the commit, and whether src/ had uncommitted changes. */
function builtFrom(): string {
  try {
    const git = (...gitArgs: string[]): string =>
      execFileSync("git", gitArgs, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const commit = git("rev-parse", "--short", "HEAD");
    return git("status", "--porcelain", "--", "src").length > 0
      ? `commit ${commit} plus uncommitted changes in src/`
      : `commit ${commit}`;
  } catch {
    return "an unknown commit";
  }
}

function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${os.availableParallelism()} CPUs (nproc), ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
}

async function writeResults(section: string, marker = "bench"): Promise<void> {
  const file = path.join(root, "bench", "RESULTS.md");
  let text = "";
  try {
    text = await fs.readFile(file, "utf8");
  } catch {
    text = "# Benchmark results\n\n<!-- bench:start -->\n<!-- bench:end -->\n";
  }
  const start = text.indexOf(`<!-- ${marker}:start -->`);
  const end = text.indexOf(`<!-- ${marker}:end -->`);
  if (start < 0 || end < start)
    throw new Error(`bench/RESULTS.md lacks the <!-- ${marker}:start --> / <!-- ${marker}:end --> markers`);
  await fs.writeFile(file, `${text.slice(0, start)}<!-- ${marker}:start -->\n${section}\n${text.slice(end)}`);
  log("== wrote bench/RESULTS.md");
}

/** The start storm section alone: its table, with the run's machine and load. */
async function runStorm(network: string, guard: boolean): Promise<void> {
  const started = Date.now();
  const sizes = stormSizes();
  const load = os.loadavg().map((l) => l.toFixed(1));
  const workers = await compileWorkers(path.join(root, "bench", "worker"), path.join(cacheFolder, "worker"));
  log(`== running the start storm, ${sizes.join(", ")} processes (${network})`);
  const table = await measureStorms({
    sizes,
    setup: { folder: workers, guard, killAfterMs: 600_000 },
    entries: {
      ours: pathToFileURL(path.join(installedPackage, "dist", "esm", "index.js")).href,
      theirs: import.meta.resolve("@azure/identity"),
    },
    log,
  });
  const theirsVersion = THEIRS_SPEC.split("@").pop();
  const oursVersion = JSON.parse(await fs.readFile(path.join(root, "package.json"), "utf8")).version;
  const section = [
    `Run: ${new Date().toISOString()}, \`npm run bench -- --storm${process.argv.slice(2).some((a) => a.startsWith("--storm-sizes")) ? ` --storm-sizes ${sizes.join(",")}` : ""}\`, ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    `Machine: ${machine()}; load average at the start ${load.join(", ")}, at the end ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(", ")}.`,
    `Libraries: azure-managed-identity ${oursVersion} (dist built from ${process.env[BUILT_FROM] ?? builtFrom()}) and @azure/identity ${theirsVersion}, default options.`,
    `Network: ${network}.`,
    "",
    table,
  ].join("\n");
  process.stdout.write(`${section}\n`);
  if (args.has("--write")) await writeResults(section, "storm");
}

async function runHere(networkState: string, guard: boolean): Promise<void> {
  if (storm) return runStorm(networkState, guard);
  const started = Date.now();
  let network = networkState;
  const agentFolder = process.env[ARC_FOLDER_MARKER];
  const arcFolder = agentFolder ?? (await fs.mkdtemp(path.join(os.tmpdir(), "azure-mi-bench-arc-")));
  const fakes = await startFakes(arcFolder);
  network += agentFolder
    ? `; Arc challenge files in ${agentFolder} on a private tmpfs (mount namespace), nothing left on the machine`
    : "; no private mount namespace, so ours reads Arc challenge files from a temporary folder and theirs has no Arc figures";
  const workers = await compileWorkers(path.join(root, "bench", "worker"), path.join(cacheFolder, "worker"));
  try {
    log(`== running ${quick ? "the quick smoke run" : "the full benchmark"} (${network})`);
    const rows = await runSuite({
      quick,
      fakes,
      setup: { folder: workers, guard, killAfterMs: 180_000 },
      entries: {
        ours: pathToFileURL(path.join(installedPackage, "dist", "esm", "index.js")).href,
        theirs: import.meta.resolve("@azure/identity"),
      },
      coreEntry: import.meta.resolve("@azure/core-rest-pipeline"),
      installed: {
        bin: installedBin,
        emulatorEntry: pathToFileURL(path.join(installedPackage, "dist", "esm", "emulator", "index.js")).href,
      },
      arcForTheirs: agentFolder !== undefined,
      oursArcTokenFolder: agentFolder === undefined ? arcFolder : undefined,
      log,
    });
    const footprint = process.env[FOOTPRINT_STATE] === "none" ? undefined : await readCachedFootprint(footprintCache);
    const table = renderTable([...footprintRows(footprint), ...rows]);
    const theirsVersion = JSON.parse(
      await fs.readFile(path.join(root, "node_modules", "@azure", "identity", "package.json"), "utf8"),
    ).version;
    const oursVersion = JSON.parse(await fs.readFile(path.join(root, "package.json"), "utf8")).version;
    const section = [
      `Run: ${new Date().toISOString()}, \`npm run bench${quick ? " -- --quick" : ""}\`, ${((Date.now() - started) / 1000).toFixed(0)} s.`,
      `Machine: ${machine()}.`,
      `Libraries: azure-managed-identity ${oursVersion} (dist built from ${process.env[BUILT_FROM] ?? builtFrom()}) and @azure/identity ${theirsVersion}.`,
      `Network: ${network}.`,
      "",
      table,
    ].join("\n");
    process.stdout.write(`${section}\n`);
    if (args.has("--write")) await writeResults(section);
  } finally {
    await fakes.close();
    if (agentFolder === undefined) await fs.rm(arcFolder, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.env[NAMESPACE_MARKER] === "1") {
    if (!isLoopbackOnly())
      throw new Error("expected a loopback-only network namespace, but other interfaces are visible");
    await runHere(process.env[NETWORK_STATE] ?? "loopback-only network namespace", false);
    return;
  }
  ensureBuilt();
  await snapshotDist();
  process.env[BUILT_FROM] = builtFrom();
  await footprintBeforeNamespace();
  if (args.has("--no-namespace")) {
    log("== --no-namespace: running where we are, every worker preloads a guard that refuses non-loopback connections");
    await runHere("no namespace asked for (--no-namespace); loopback guard preloaded in every worker", true);
    return;
  }
  if (isLoopbackOnly()) {
    await runHere("already in a loopback-only network namespace", false);
    return;
  }
  process.env[NETWORK_STATE] = "loopback-only network namespace (unshare -n)";
  const code = reexecInLoopbackNamespace();
  if (code !== undefined) {
    process.exitCode = code;
    return;
  }
  log(
    "== unshare -n is not available: running without a namespace, every worker preloads a guard that refuses non-loopback connections",
  );
  await runHere(
    "no namespace available; loopback guard preloaded in every worker (refuses non-loopback connections)",
    true,
  );
}

main().catch((error: unknown) => {
  log((error as Error)?.stack ?? String(error));
  process.exitCode = 1;
});
