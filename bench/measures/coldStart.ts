import type { Row } from "../report.js";
import type { Library } from "../worker/spec.js";
import {
  type Bench,
  medianOf,
  msText,
  numbers,
  pairedRatio,
  SOURCE_NAMES,
  SOURCES,
  sourceEnv,
  summaryOf,
} from "./bench.js";

/** Process start to the first token, each library in a fresh process, for each source. */
export async function measureColdStart(bench: Bench): Promise<Row[]> {
  const { settings } = bench;
  const rows: Row[] = [];
  for (const source of SOURCES) {
    const trials = bench.quick ? 1 : 10;
    const r = await bench.alternate(
      `cold first token ${source}`,
      trials,
      (library) =>
        bench.once(
          {
            scenario: "coldToken",
            library,
            entry: settings.entries[library],
            source,
            ...bench.tokenFolder(library, source),
          },
          sourceEnv(bench.fakes, source),
        ),
      (library) => bench.available(library, source),
    );
    const theirsHere = bench.available("theirs", source);
    const pairedCpu = theirsHere
      ? pairedRatio(numbers(r.ours, "firstTokenCpuMs"), numbers(r.theirs, "firstTokenCpuMs"))
      : undefined;
    const paired = theirsHere
      ? pairedRatio(numbers(r.ours, "firstTokenMs"), numbers(r.theirs, "firstTokenMs"))
      : undefined;
    const phase = (library: Library, key: string): string => {
      const median = bench.available(library, source) ? medianOf(summaryOf(r[library], key)) : undefined;
      return median === undefined ? "—" : msText(median);
    };
    rows.push({
      measure: "process start → first token",
      source: SOURCE_NAMES[source],
      unit: "ms",
      ours: summaryOf(r.ours, "firstTokenMs"),
      theirs: theirsHere ? summaryOf(r.theirs, "firstTokenMs") : bench.unavailable,
      ratio: true,
      pairedRatio: paired,
      target: "≤ 0.5×",
      met: paired === undefined ? undefined : paired <= 0.5,
      note: `CPU used up to the first token (medians, user + system): ${phase("ours", "firstTokenCpuMs")} / ${phase("theirs", "firstTokenCpuMs")}, paired ratio ${pairedCpu === undefined ? "—" : pairedCpu.toFixed(2)}×; medians: node's own start ${phase("ours", "bootMs")} / ${phase("theirs", "bootMs")}, package imported at ${phase("ours", "importedAtMs")} / ${phase("theirs", "importedAtMs")} (ours / theirs); the ratio is the median of the trial-by-trial ratios`,
    });
  }
  return rows;
}
