import type { Cell, Row } from "../report.js";
import type { Library } from "../worker/spec.js";
import { type Bench, numbers, SOURCE_NAMES, SOURCES, sourceEnv, summaryOf } from "./bench.js";

/** 1000 concurrent first calls on a fresh credential: the upstream requests they make, and the time they take. */
export async function measureConcurrency(bench: Bench): Promise<Row[]> {
  const rows: Row[] = [];
  for (const source of SOURCES) {
    const trials = bench.quick ? 1 : 5;
    const calls = bench.quick ? 200 : 1000;
    const r = await bench.alternate(
      `concurrent ${source}`,
      trials,
      (library) =>
        bench.once(
          {
            scenario: "concurrent",
            library,
            entry: bench.settings.entries[library],
            source,
            ...bench.tokenFolder(library, source),
            calls,
          },
          sourceEnv(bench.fakes, source),
        ),
      (library) => bench.available(library, source),
    );
    const expected = source === "arc" ? 2 : 1;
    const cellOf = (library: Library, key: string): Cell =>
      bench.available(library, source) ? summaryOf(r[library], key) : bench.unavailable;
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
  return rows;
}
