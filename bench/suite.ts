import type { Row } from "./report.js";
import { measureAllocation } from "./measures/allocation.js";
import { createBench, type Measure, type SuiteSettings } from "./measures/bench.js";
import { measureColdStart } from "./measures/coldStart.js";
import { measureConcurrency } from "./measures/concurrency.js";
import { measureImport } from "./measures/importCost.js";
import { measureMemory } from "./measures/memory.js";
import { measureOffAzure } from "./measures/offAzure.js";
import { measureRefresh } from "./measures/refresh.js";
import { measureSteady } from "./measures/steady.js";
import { measureTokenCommand } from "./measures/tokenCommand.js";

export type { SuiteSettings } from "./measures/bench.js";

/** The measures, in the table's order; each runs its trials side by side (A B A B …) in fresh worker processes. */
const MEASURES: readonly Measure[] = [
  measureImport,
  measureColdStart,
  measureTokenCommand,
  measureSteady,
  measureAllocation,
  measureConcurrency,
  measureOffAzure,
  measureMemory,
  measureRefresh,
];

/** Runs every measure against the same fakes and returns the table's rows. */
export async function runSuite(settings: SuiteSettings): Promise<Row[]> {
  const bench = createBench(settings);
  const rows: Row[] = [];
  for (const measure of MEASURES) rows.push(...(await measure(bench)));
  return rows;
}
