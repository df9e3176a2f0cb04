import { type Cell, type Row } from "../report.js";
import { summarise } from "../stats.js";
import type { OffAzureCase, Outcome } from "../worker/spec.js";
import { type Bench, msText } from "./bench.js";

interface OffAzureMeasure {
  case: OffAzureCase;
  measure: string;
  target: string;
  /** Ours' median must be at most this, in milliseconds. */
  limit: number;
}

/** Off Azure: nothing listening, or an endpoint that accepts and never answers (IMDS); the time to the error. */
export async function measureOffAzure(bench: Bench): Promise<Row[]> {
  const { quick, fakes } = bench;
  const rows: Row[] = [];
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
  const cases: OffAzureMeasure[] = [
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
    const r = await bench.alternate(c.case, trials, (library) => {
      const env: Record<string, string> = { AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${port}` };
      if (library === "theirs" && c.case.endsWith("-chain")) env["AZURE_TOKEN_CREDENTIALS"] = "prod";
      return bench.once(
        {
          scenario: "offAzure",
          library,
          entry: bench.settings.entries[library],
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
  return rows;
}
