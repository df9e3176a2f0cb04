import type { Row } from "../report.js";
import { type Bench, numbers, pairedRatio, ratioAtMost, summaryOf } from "./bench.js";

/**
 * A fresh process importing each package, in turn with one importing `@azure/core-rest-pipeline` alone (the
 * floor of a package built on it); then each package imported on top of an already loaded core-rest-pipeline.
 */
export async function measureImport(bench: Bench): Promise<Row[]> {
  const { settings } = bench;
  const trials = bench.quick ? 2 : 20;
  const importOf = (library: "ours" | "theirs") => () =>
    bench.once({ scenario: "import", library, entry: settings.entries[library] }, {});
  const r = await bench.inTurn("import", trials, {
    ours: importOf("ours"),
    theirs: importOf("theirs"),
    core: () => bench.once({ scenario: "importCore", core: settings.coreEntry }, {}),
  });
  const vsCore = pairedRatio(numbers(r.ours, "importMs"), numbers(r.core, "importMs"));
  const vsCoreCpu = pairedRatio(numbers(r.ours, "importCpuMs"), numbers(r.core, "importCpuMs"));
  const rows: Row[] = [
    {
      measure: "import: time",
      source: "—",
      unit: "ms",
      ours: summaryOf(r.ours, "importMs"),
      theirs: summaryOf(r.theirs, "importMs"),
      ratio: true,
    },
    {
      measure: "import: time, against `import('@azure/core-rest-pipeline')` alone",
      source: "—",
      unit: "ms",
      ours: summaryOf(r.ours, "importMs"),
      theirs: summaryOf(r.core, "importMs"),
      against: "core-rest-pipeline alone",
      ratio: true,
      pairedRatio: vsCore,
      target: "≤ 1.1×",
      met: vsCore === undefined ? undefined : vsCore <= 1.1,
      note: "the ratio is the median of the trial-by-trial ratios (each pair ran one after the other)",
    },
    {
      measure: "import: CPU time (user + system), against `import('@azure/core-rest-pipeline')` alone",
      source: "—",
      unit: "ms",
      ours: summaryOf(r.ours, "importCpuMs"),
      theirs: summaryOf(r.core, "importCpuMs"),
      against: "core-rest-pipeline alone",
      ratio: true,
      pairedRatio: vsCoreCpu,
      note: "the same runs; on a shared machine CPU time moves far less than wall time, which counts every wait for a core",
    },
    {
      measure: "import: RSS after import",
      source: "—",
      unit: "MiB",
      ours: summaryOf(r.ours, "rssMiB"),
      theirs: summaryOf(r.theirs, "rssMiB"),
      ratio: true,
      target: "≤ 0.8×",
      met: ratioAtMost(summaryOf(r.ours, "rssMiB"), summaryOf(r.theirs, "rssMiB"), 0.8),
    },
    {
      measure: "import: RSS growth over bare node",
      source: "—",
      unit: "MiB",
      ours: summaryOf(r.ours, "rssGrowthMiB"),
      theirs: summaryOf(r.theirs, "rssGrowthMiB"),
      ratio: true,
    },
  ];
  const after = await bench.alternate("import after core-rest-pipeline", trials, (library) =>
    bench.once(
      { scenario: "importAfterCore", library, entry: settings.entries[library], core: settings.coreEntry },
      {},
    ),
  );
  const label = "with @azure/core-rest-pipeline already loaded (any Azure SDK client app)";
  rows.push(
    {
      measure: `import: time, ${label}`,
      source: "—",
      unit: "ms",
      ours: summaryOf(after.ours, "importMs"),
      theirs: summaryOf(after.theirs, "importMs"),
      ratio: true,
    },
    {
      measure: `import: RSS growth, ${label}`,
      source: "—",
      unit: "MiB",
      ours: summaryOf(after.ours, "rssGrowthMiB"),
      theirs: summaryOf(after.theirs, "rssGrowthMiB"),
      ratio: true,
    },
  );
  return rows;
}
