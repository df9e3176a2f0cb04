// One benchmark worker process: runs one scenario for one library, prints its figures as one JSON
// line, and exits (hung sockets left by a library that never settles must not keep it alive).
import { scenarios } from "./scenarios.js";
import { RESULT_PREFIX, type WorkerSpec } from "./spec.js";

const spec = JSON.parse(process.argv[2] ?? "{}") as WorkerSpec;
const run = scenarios[spec.scenario] as (spec: WorkerSpec) => Promise<Record<string, unknown>>;

run(spec).then(
  (result) => {
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`, () => process.exit(0));
  },
  (error: unknown) => {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`, () => process.exit(1));
  },
);
