import type { Cell, Row } from "../report.js";
import { summarise } from "../stats.js";
import type { Library, Outcome } from "../worker/spec.js";
import { type Bench, msText, SOURCE_NAMES, sourceEnv } from "./bench.js";

/** A 24 h token due for refresh while the endpoint fails or hangs: is the caller blocked, does it get the refresh's error? */
export async function measureRefresh(bench: Bench): Promise<Row[]> {
  const { quick } = bench;
  const rows: Row[] = [];
  for (const source of ["imds", "arc"] as const) {
    for (const behaviour of ["oneTokenThenFail", "oneTokenThenHang"] as const) {
      const trials = quick ? 1 : 3;
      const capMs = quick ? 500 : 3000;
      const r = await bench.alternate(
        `refresh ${source} ${behaviour}`,
        trials,
        (library) =>
          bench.once(
            {
              scenario: "refresh",
              library,
              entry: bench.settings.entries[library],
              source,
              ...bench.tokenFolder(library, source),
              jumpMs: 13 * 3600_000,
              capMs,
            },
            sourceEnv(bench.fakes, source),
            behaviour,
          ),
        (library) => bench.available(library, source),
      );
      const describe = (library: Library): Cell => {
        if (!bench.available(library, source)) return bench.unavailable;
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
