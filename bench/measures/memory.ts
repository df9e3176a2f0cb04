import type { Cell, Row } from "../report.js";
import type { Library } from "../worker/spec.js";
import { type Bench, medianOf, ratioAtMost, SOURCE_NAMES, sourceEnv, summaryOf } from "./bench.js";

function fmt(value: number | undefined): string {
  return value === undefined ? "—" : value.toFixed(2);
}

/** Memory: growth over many cache hits, and what each fetch leaves behind (heap, AbortControllers). */
export async function measureMemory(bench: Bench): Promise<Row[]> {
  const { quick } = bench;
  const rows: Row[] = [];
  for (const source of ["imds", "arc"] as const) {
    const trials = quick ? 1 : 3;
    const hits = quick ? 2000 : 10_000;
    const fetches = quick ? 100 : 1000;
    const r = await bench.alternate(
      `memory ${source}`,
      trials,
      (library) =>
        bench.once(
          {
            scenario: "memory",
            library,
            entry: bench.settings.entries[library],
            source,
            ...bench.tokenFolder(library, source),
            hits,
            fetches,
          },
          sourceEnv(bench.fakes, source),
          "ok",
          ["--expose-gc"],
        ),
      (library) => bench.available(library, source),
    );
    const name = SOURCE_NAMES[source];
    const cellOf = (library: Library, key: string): Cell =>
      bench.available(library, source) ? summaryOf(r[library], key) : bench.unavailable;
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
  return rows;
}
