import { type Cell, type Row, sig3 } from "../report.js";
import type { Library } from "../worker/spec.js";
import { type Bench, medianOf, ratioAtMost, SOURCE_NAMES, SOURCES, sourceEnv, summaryOf } from "./bench.js";

function opsPerSecond(cell: Cell): string {
  const ns = medianOf(cell);
  if (ns === undefined) return "—";
  const ops = 1e9 / ns;
  return ops >= 1e6 ? `${sig3(ops / 1e6)} M` : ops >= 1e3 ? `${sig3(ops / 1e3)} k` : ops.toFixed(0);
}

/** Warm fetches of new resources and cache hits (one token cached, then many), in one process per trial. */
export async function measureSteady(bench: Bench): Promise<Row[]> {
  const { settings, quick } = bench;
  const rows: Row[] = [];
  const cachedTokens = quick ? 100 : 1000;
  for (const source of SOURCES) {
    const trials = quick ? 1 : 5;
    const r = await bench.alternate(
      `steady ${source}`,
      trials,
      (library) =>
        bench.once(
          {
            scenario: "steady",
            library,
            entry: settings.entries[library],
            source,
            ...bench.tokenFolder(library, source),
            warmFetches: quick ? 20 : 200,
            cachedTokens,
            hitLoopMs: quick ? 30 : 300,
          },
          sourceEnv(bench.fakes, source),
        ),
      (library) => bench.available(library, source),
    );
    const name = SOURCE_NAMES[source];
    const cellOf = (library: Library, key: string): Cell =>
      bench.available(library, source) ? summaryOf(r[library], key) : bench.unavailable;
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
  return rows;
}
