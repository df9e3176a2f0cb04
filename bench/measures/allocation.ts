import type { Row } from "../report.js";
import { type Bench, sourceEnv, summaryOf } from "./bench.js";

/** Bytes allocated per cache hit (IMDS), in the call and awaited to the token. */
export async function measureAllocation(bench: Bench): Promise<Row[]> {
  const trials = bench.quick ? 1 : 3;
  const r = await bench.alternate("allocation", trials, (library) =>
    bench.once(
      {
        scenario: "allocation",
        library,
        entry: bench.settings.entries[library],
        source: "imds",
        calls: library === "ours" ? 10_000 : 200,
      },
      sourceEnv(bench.fakes, "imds"),
      "ok",
      ["--expose-gc", "--max-semi-space-size=64"],
    ),
  );
  return [
    {
      measure: "bytes allocated per cache hit, in the call",
      source: "IMDS",
      unit: "B",
      ours: summaryOf(r.ours, "bytesInCall"),
      theirs: summaryOf(r.theirs, "bytesInCall"),
      ratio: true,
      target: "ours: the returned promise only",
      note: "a bare Promise.resolve(x) is 48 B on this Node; Date.now() boxes a 16 B number",
    },
    {
      measure: "bytes allocated per cache hit, awaited to the token (the caller's await included)",
      source: "IMDS",
      unit: "B",
      ours: summaryOf(r.ours, "bytesAwaited"),
      theirs: summaryOf(r.theirs, "bytesAwaited"),
      ratio: true,
    },
  ];
}
