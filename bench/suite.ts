import type { Fakes, FakeBehaviour } from "./fakes.js";
import { assertLoopbackEnvironment } from "./loopback.js";
import { type Cell, type Row, sig3 } from "./report.js";
import { runWorker, type WorkerSetup } from "./runWorker.js";
import { summarise } from "./stats.js";
import type { Library, OffAzureCase, Outcome, Source, WorkerSpec } from "./worker/spec.js";

/** What the suite runs against and how much of it. */
export interface SuiteSettings {
  quick: boolean;
  fakes: Fakes;
  setup: WorkerSetup;
  /** Absolute paths of each library's ESM entry point (ours: the built dist). */
  entries: Record<Library, string>;
  /** The ESM entry point of @azure/core-rest-pipeline. */
  coreEntry: string;
  /** Whether the Arc fake writes to the agent's real token folder (in a private mount), which theirs requires. */
  arcForTheirs: boolean;
  /** Ours reads Arc challenge files from here when the agent's folder is not available. */
  oursArcTokenFolder: string | undefined;
  log: (line: string) => void;
}

const LIBRARIES: readonly Library[] = ["ours", "theirs"];
const SOURCES: readonly Source[] = ["imds", "arc", "cloudshell"];
const SOURCE_NAMES: Record<Source, string> = { imds: "IMDS", arc: "Arc", cloudshell: "Cloud Shell" };

type Trials<T> = Record<Library, T[]>;

function sourceEnv(fakes: Fakes, source: Source): Record<string, string> {
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

function numbers(values: readonly Record<string, unknown>[], key: string): number[] {
  return values.map((v) => v[key]).filter((v): v is number => typeof v === "number");
}

function summaryOf(values: readonly Record<string, unknown>[], key: string): Cell {
  return summarise(numbers(values, key));
}

function medianOf(cell: Cell): number | undefined {
  return typeof cell === "object" ? cell.median : undefined;
}

function ratioAtMost(ours: Cell, theirs: Cell, limit: number): boolean | undefined {
  const a = medianOf(ours);
  const b = medianOf(theirs);
  return a === undefined || b === undefined ? undefined : a / b <= limit;
}

function msText(ms: number): string {
  return ms >= 1000 ? `${sig3(ms / 1000)} s` : `${sig3(ms)} ms`;
}

/**
 * Runs every measure side by side: for each trial, ours then theirs (A B A B …), each in a fresh
 * worker process against the same fakes, reset between runs.
 */
export async function runSuite(settings: SuiteSettings): Promise<Row[]> {
  const { quick, fakes, log } = settings;
  const rows: Row[] = [];

  const available = (library: Library, source: Source): boolean =>
    library === "ours" || source !== "arc" || settings.arcForTheirs;
  const tokenFolder = (library: Library, source: Source): { tokenFolder?: string } =>
    library === "ours" && source === "arc" && settings.oursArcTokenFolder !== undefined
      ? { tokenFolder: settings.oursArcTokenFolder }
      : {};
  const unavailable =
    "n/a (needs the private mount namespace: msal-node reads Arc challenge files only from /var/opt/azcmagent/tokens)";

  /** One worker run with fresh fakes; returns its figures plus the upstream requests the fakes saw. */
  const once = async (
    spec: WorkerSpec,
    env: Record<string, string>,
    behaviour: FakeBehaviour = "ok",
    nodeFlags: string[] = [],
  ): Promise<Record<string, unknown>> => {
    assertLoopbackEnvironment(env);
    fakes.reset();
    fakes.behaviour = behaviour;
    const result = await runWorker(settings.setup, spec, env, nodeFlags);
    result["upstream"] = fakes.imds.requests + fakes.arc.requests + fakes.cloudShell.requests;
    return result;
  };

  /** Runs `trials` rounds of ours then theirs. */
  const alternate = async <T>(
    label: string,
    trials: number,
    run: (library: Library) => Promise<T>,
    include: (library: Library) => boolean = () => true,
  ): Promise<Trials<T>> => {
    const results: Trials<T> = { ours: [], theirs: [] };
    for (let trial = 0; trial < trials; trial++) {
      for (const library of LIBRARIES) {
        if (include(library)) results[library].push(await run(library));
      }
    }
    log(`  ${label}: ${trials} trial(s) each`);
    return results;
  };

  // Import cost: a fresh process importing each package.
  {
    const trials = quick ? 2 : 20;
    const r = await alternate("import", trials, (library) =>
      once({ scenario: "import", library, entry: settings.entries[library] }, {}),
    );
    rows.push({
      measure: "import: time",
      source: "—",
      unit: "ms",
      ours: summaryOf(r.ours, "importMs"),
      theirs: summaryOf(r.theirs, "importMs"),
      ratio: true,
    });
    const ours = summaryOf(r.ours, "rssMiB");
    const theirs = summaryOf(r.theirs, "rssMiB");
    rows.push({
      measure: "import: RSS after import",
      source: "—",
      unit: "MiB",
      ours,
      theirs,
      ratio: true,
      target: "≤ 0.8×",
      met: ratioAtMost(ours, theirs, 0.8),
    });
    rows.push({
      measure: "import: RSS growth over bare node",
      source: "—",
      unit: "MiB",
      ours: summaryOf(r.ours, "rssGrowthMiB"),
      theirs: summaryOf(r.theirs, "rssGrowthMiB"),
      ratio: true,
    });
    const after = await alternate("import after core-rest-pipeline", trials, (library) =>
      once({ scenario: "importAfterCore", library, entry: settings.entries[library], core: settings.coreEntry }, {}),
    );
    const label = "with @azure/core-rest-pipeline already loaded (any Azure SDK client app)";
    rows.push({
      measure: `import: time, ${label}`,
      source: "—",
      unit: "ms",
      ours: summaryOf(after.ours, "importMs"),
      theirs: summaryOf(after.theirs, "importMs"),
      ratio: true,
    });
    rows.push({
      measure: `import: RSS growth, ${label}`,
      source: "—",
      unit: "MiB",
      ours: summaryOf(after.ours, "rssGrowthMiB"),
      theirs: summaryOf(after.theirs, "rssGrowthMiB"),
      ratio: true,
    });
  }

  // Cold first token: process start to first token.
  for (const source of SOURCES) {
    const trials = quick ? 1 : 10;
    const r = await alternate(
      `cold first token ${source}`,
      trials,
      (library) =>
        once(
          { scenario: "coldToken", library, entry: settings.entries[library], source, ...tokenFolder(library, source) },
          sourceEnv(fakes, source),
        ),
      (library) => available(library, source),
    );
    const ours = summaryOf(r.ours, "firstTokenMs");
    const theirs = available("theirs", source) ? summaryOf(r.theirs, "firstTokenMs") : unavailable;
    const phase = (library: Library, key: string): string => {
      const median = available(library, source) ? medianOf(summaryOf(r[library], key)) : undefined;
      return median === undefined ? "—" : msText(median);
    };
    rows.push({
      measure: "process start → first token",
      source: SOURCE_NAMES[source],
      unit: "ms",
      ours,
      theirs,
      ratio: true,
      target: "≤ 0.4×",
      met: ratioAtMost(ours, theirs, 0.4),
      note: `medians: node's own start ${phase("ours", "bootMs")} / ${phase("theirs", "bootMs")}, package imported at ${phase("ours", "importedAtMs")} / ${phase("theirs", "importedAtMs")} (ours / theirs)`,
    });
  }

  // Warm fetches and cache hits, in one process per trial.
  const cachedTokens = quick ? 100 : 1000;
  for (const source of SOURCES) {
    const trials = quick ? 1 : 5;
    const r = await alternate(
      `steady ${source}`,
      trials,
      (library) =>
        once(
          {
            scenario: "steady",
            library,
            entry: settings.entries[library],
            source,
            ...tokenFolder(library, source),
            warmFetches: quick ? 20 : 200,
            cachedTokens,
            hitLoopMs: quick ? 30 : 300,
          },
          sourceEnv(fakes, source),
        ),
      (library) => available(library, source),
    );
    const name = SOURCE_NAMES[source];
    const cellOf = (library: Library, key: string): Cell =>
      available(library, source) ? summaryOf(r[library], key) : unavailable;
    const warm = [cellOf("ours", "warmFetchMs"), cellOf("theirs", "warmFetchMs")] as const;
    rows.push({
      measure: "warm fetch of a new resource",
      source: name,
      unit: "ms",
      ours: warm[0],
      theirs: warm[1],
      ratio: true,
      target: "≤ 0.5×",
      met: ratioAtMost(warm[0], warm[1], 0.5),
    });
    const hit1 = [cellOf("ours", "hit1Ns"), cellOf("theirs", "hit1Ns")] as const;
    const opsNote = (cells: readonly Cell[]): string =>
      `ops/s (medians): ours ${opsPerSecond(cells[0])}, theirs ${opsPerSecond(cells[1])}`;
    rows.push({
      measure: "cache hit, 1 token cached",
      source: name,
      unit: "ns",
      ours: hit1[0],
      theirs: hit1[1],
      ratio: true,
      target: "≤ 0.05×",
      met: ratioAtMost(hit1[0], hit1[1], 0.05),
      note: opsNote(hit1),
    });
    const hitMany = [cellOf("ours", "hitManyNs"), cellOf("theirs", "hitManyNs")] as const;
    // "The same" within 2×: scheduler noise on sub-microsecond calls; a cost that grows with the cache is 100× and more.
    const flat =
      medianOf(hitMany[0]) !== undefined && medianOf(hit1[0]) !== undefined
        ? medianOf(hitMany[0])! <= 2 * medianOf(hit1[0])!
        : undefined;
    const manyMet = ratioAtMost(hitMany[0], hitMany[1], 0.05);
    rows.push({
      measure: `cache hit, ${cachedTokens} tokens cached`,
      source: name,
      unit: "ns",
      ours: hitMany[0],
      theirs: hitMany[1],
      ratio: true,
      target: "≤ 0.05×, and ours within 2× of its 1-token cost",
      met: manyMet === undefined || flat === undefined ? undefined : manyMet && flat,
      note: opsNote(hitMany),
    });
  }

  // Allocation per cache hit (IMDS).
  {
    const trials = quick ? 1 : 3;
    const r = await alternate("allocation", trials, (library) =>
      once(
        {
          scenario: "allocation",
          library,
          entry: settings.entries[library],
          source: "imds",
          calls: library === "ours" ? 10_000 : 200,
        },
        sourceEnv(fakes, "imds"),
        "ok",
        ["--expose-gc", "--max-semi-space-size=64"],
      ),
    );
    rows.push({
      measure: "bytes allocated per cache hit, in the call",
      source: "IMDS",
      unit: "B",
      ours: summaryOf(r.ours, "bytesInCall"),
      theirs: summaryOf(r.theirs, "bytesInCall"),
      ratio: true,
      target: "ours: the returned promise only",
      note: "a bare Promise.resolve(x) is 48 B on this Node; Date.now() boxes a 16 B number",
    });
    rows.push({
      measure: "bytes allocated per cache hit, awaited to the token (the caller's await included)",
      source: "IMDS",
      unit: "B",
      ours: summaryOf(r.ours, "bytesAwaited"),
      theirs: summaryOf(r.theirs, "bytesAwaited"),
      ratio: true,
    });
  }

  // 1000 concurrent first calls on a fresh credential.
  for (const source of SOURCES) {
    const trials = quick ? 1 : 5;
    const calls = quick ? 200 : 1000;
    const r = await alternate(
      `concurrent ${source}`,
      trials,
      (library) =>
        once(
          {
            scenario: "concurrent",
            library,
            entry: settings.entries[library],
            source,
            ...tokenFolder(library, source),
            calls,
          },
          sourceEnv(fakes, source),
        ),
      (library) => available(library, source),
    );
    const expected = source === "arc" ? 2 : 1;
    const cellOf = (library: Library, key: string): Cell =>
      available(library, source) ? summaryOf(r[library], key) : unavailable;
    const requests = [cellOf("ours", "upstream"), cellOf("theirs", "upstream")] as const;
    const oursRequests = requests[0];
    const rejected = numbers(r.ours, "rejected").reduce((a, b) => a + b, 0);
    rows.push({
      measure: `${calls} concurrent first calls: upstream requests`,
      source: SOURCE_NAMES[source],
      unit: "count",
      ours: requests[0],
      theirs: requests[1],
      ratio: false,
      target: `ours = ${expected}`,
      met:
        typeof oursRequests === "object"
          ? oursRequests.max === expected && oursRequests.min === expected && rejected === 0
          : undefined,
    });
    const time = [cellOf("ours", "totalMs"), cellOf("theirs", "totalMs")] as const;
    rows.push({
      measure: `${calls} concurrent first calls: total time`,
      source: SOURCE_NAMES[source],
      unit: "ms",
      ours: time[0],
      theirs: time[1],
      ratio: true,
    });
  }

  // Off Azure: nothing listening, or an endpoint that accepts and never answers (IMDS).
  {
    const trials = quick ? 1 : 3;
    const callerTimeoutMs = quick ? 200 : 1000;
    const probeTimeoutMs = 1000;
    // Long enough for ours to answer, short enough for a smoke run; a full run waits past theirs' retries.
    const capMs = (offAzureCase: OffAzureCase): number =>
      quick
        ? offAzureCase === "silent-chain"
          ? probeTimeoutMs + 500
          : callerTimeoutMs + 500
        : offAzureCase.startsWith("refused")
          ? 30_000 // past theirs' retries: about 5 s alone, about 21 s in DefaultAzureCredential (5 retries from 800 ms)
          : 6000;
    const cases: { case: OffAzureCase; measure: string; target: string; limit: number }[] = [
      {
        case: "refused-explicit",
        measure: "nothing listening → error, explicit credential",
        target: "ours ≤ 50 ms",
        limit: 50,
      },
      {
        case: "refused-chain",
        measure:
          "nothing listening → error, chain (ours: ManagedIdentityChainCredential; theirs: DefaultAzureCredential)",
        target: "ours ≤ 50 ms",
        limit: 50,
      },
      {
        case: "silent-chain",
        measure: "accepts, never answers → error, chain, no caller timeout",
        target: `ours ≤ probe timeout + 50 ms (${probeTimeoutMs + 50} ms)`,
        limit: probeTimeoutMs + 50,
      },
      {
        case: "silent-timeout",
        measure: `accepts, never answers → error, explicit credential, requestOptions.timeout = ${callerTimeoutMs} ms`,
        target: `ours ≤ ${callerTimeoutMs + 50} ms`,
        limit: callerTimeoutMs + 50,
      },
      {
        case: "silent-abort",
        measure: `accepts, never answers → error, explicit credential, abortSignal after ${callerTimeoutMs} ms`,
        target: `ours ≤ ${callerTimeoutMs + 50} ms`,
        limit: callerTimeoutMs + 50,
      },
    ];
    for (const c of cases) {
      const port = c.case.startsWith("refused") ? fakes.closedPort : fakes.silentPort;
      const r = await alternate(c.case, trials, (library) => {
        const env: Record<string, string> = { AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${port}` };
        if (library === "theirs" && c.case.endsWith("-chain")) env["AZURE_TOKEN_CREDENTIALS"] = "prod";
        return once(
          {
            scenario: "offAzure",
            library,
            entry: settings.entries[library],
            case: c.case,
            callerTimeoutMs,
            capMs: capMs(c.case),
          },
          env,
        );
      });
      const outcomeCell = (results: Record<string, unknown>[]): Cell => {
        if (results.some((x) => x["missing"] === true)) return "n/a (not in the package yet)";
        const outcomes = results as unknown as Outcome[];
        const settled = outcomes.filter((o) => o.settled);
        const gaveUp = `gave up after ${msText(capMs(c.case))}`;
        if (settled.length === 0) return `never settled (${gaveUp})`;
        if (settled.length < outcomes.length) {
          const times = settled.map((o) => msText(o.ms)).join(", ");
          return `${outcomes.length - settled.length} of ${outcomes.length} never settled (${gaveUp}); the others after ${times}`;
        }
        return summarise(settled.map((o) => o.ms));
      };
      const names = (results: Record<string, unknown>[]): string =>
        [...new Set((results as unknown as Outcome[]).map((o) => o.result))].join(", ");
      const ours = outcomeCell(r.ours);
      const oursNames = names(r.ours);
      rows.push({
        measure: c.measure,
        source: "IMDS",
        unit: "ms",
        ours,
        theirs: outcomeCell(r.theirs),
        ratio: true,
        target: c.target,
        met: typeof ours === "object" ? ours.median <= c.limit && oursNames !== "token" : undefined,
        note: `errors: ours ${oursNames || "—"}; theirs ${names(r.theirs) || "—"}`,
      });
    }
  }

  // Memory: growth over many cache hits, and what each fetch leaves behind.
  for (const source of ["imds", "arc"] as const) {
    const trials = quick ? 1 : 3;
    const hits = quick ? 2000 : 10_000;
    const fetches = quick ? 100 : 1000;
    const r = await alternate(
      `memory ${source}`,
      trials,
      (library) =>
        once(
          {
            scenario: "memory",
            library,
            entry: settings.entries[library],
            source,
            ...tokenFolder(library, source),
            hits,
            fetches,
          },
          sourceEnv(fakes, source),
          "ok",
          ["--expose-gc"],
        ),
      (library) => available(library, source),
    );
    const name = SOURCE_NAMES[source];
    const cellOf = (library: Library, key: string): Cell =>
      available(library, source) ? summaryOf(r[library], key) : unavailable;
    const rss = [cellOf("ours", "rssGrowthKiB"), cellOf("theirs", "rssGrowthKiB")] as const;
    rows.push({
      measure: `RSS growth over ${hits} cache hits (no GC forced)`,
      source: name,
      unit: "KiB",
      ours: rss[0],
      theirs: rss[1],
      ratio: true,
      target: "≤ 0.5×, or below the 1 MiB noise floor",
      met: medianOf(rss[0]) !== undefined && medianOf(rss[0])! < 1024 ? true : ratioAtMost(rss[0], rss[1], 0.5),
      note: "RSS moves in whole pages and with the young generation's size; below about 1 MiB it is noise, and a ratio of two noises means nothing",
    });
    const heap = [cellOf("ours", "heapRetainedKiB"), cellOf("theirs", "heapRetainedKiB")] as const;
    rows.push({
      measure: `heap retained after ${hits} cache hits (after GC)`,
      source: name,
      unit: "KiB",
      ours: heap[0],
      theirs: heap[1],
      ratio: true,
    });
    const perFetch = [cellOf("ours", "heapPerFetchBytes"), cellOf("theirs", "heapPerFetchBytes")] as const;
    rows.push({
      measure: `heap kept per fetched token (${fetches} new resources, after GC)`,
      source: name,
      unit: "B",
      ours: perFetch[0],
      theirs: perFetch[1],
      ratio: true,
    });
    const kept = [
      cellOf("ours", "controllersRetainedPerFetch"),
      cellOf("theirs", "controllersRetainedPerFetch"),
    ] as const;
    rows.push({
      measure: "AbortControllers kept per fetch (after GC)",
      source: name,
      unit: "count",
      ours: kept[0],
      theirs: kept[1],
      ratio: false,
      target: "ours 0",
      met: typeof kept[0] === "object" ? kept[0].max < 0.01 : undefined,
      note: `created per fetch (medians): ours ${fmt(medianOf(cellOf("ours", "controllersPerFetch")))}, theirs ${fmt(medianOf(cellOf("theirs", "controllersPerFetch")))}`,
    });
  }

  // A 24 h token due for refresh while the endpoint fails or hangs.
  for (const source of ["imds", "arc"] as const) {
    for (const behaviour of ["oneTokenThenFail", "oneTokenThenHang"] as const) {
      const trials = quick ? 1 : 3;
      const capMs = quick ? 500 : 3000;
      const r = await alternate(
        `refresh ${source} ${behaviour}`,
        trials,
        (library) =>
          once(
            {
              scenario: "refresh",
              library,
              entry: settings.entries[library],
              source,
              ...tokenFolder(library, source),
              jumpMs: 13 * 3600_000,
              capMs,
            },
            sourceEnv(fakes, source),
            behaviour,
          ),
        (library) => available(library, source),
      );
      const describe = (library: Library): Cell => {
        if (!available(library, source)) return unavailable;
        const results = r[library];
        const due = results.map((x) => x["due"] as Outcome);
        const again = results.map((x) => x["again"] as Outcome);
        const ms = summarise(due.map((o) => o.ms))!;
        const first = due.every((o) => o.settled)
          ? `${[...new Set(due.map((o) => o.result))].join("/")} in ${msText(ms.median)}`
          : `blocked: no answer within ${msText(capMs)}`;
        const next = again.every((o) => o.settled) ? [...new Set(again.map((o) => o.result))].join("/") : "blocked";
        return `${first}; next call: ${next}`;
      };
      const oursDue = r.ours.map((x) => x["due"] as Outcome);
      const oursAgain = r.ours.map((x) => x["again"] as Outcome);
      const notBlocked = oursDue.every((o) => o.settled && o.result === "token" && o.ms < 10);
      const neverItsError = oursAgain.every((o) => o.settled && o.result === "token");
      rows.push({
        measure: `24 h token due for refresh, endpoint ${behaviour === "oneTokenThenFail" ? "answers 500" : "never answers"}`,
        source: SOURCE_NAMES[source],
        unit: "ms",
        ours: describe("ours"),
        theirs: describe("theirs"),
        ratio: false,
        target: "caller not blocked; the refresh's failure never its error",
        met: notBlocked && neverItsError,
      });
    }
  }
  return rows;
}

function opsPerSecond(cell: Cell): string {
  const ns = medianOf(cell);
  if (ns === undefined) return "—";
  const ops = 1e9 / ns;
  return ops >= 1e6 ? `${sig3(ops / 1e6)} M` : ops >= 1e3 ? `${sig3(ops / 1e3)} k` : ops.toFixed(0);
}

function fmt(value: number | undefined): string {
  return value === undefined ? "—" : value.toFixed(2);
}
