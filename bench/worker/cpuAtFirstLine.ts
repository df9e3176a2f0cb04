// Preloaded (NODE_OPTIONS=--import) into both sides of the token-command measure: at the process's first write
// to stdout (the token, or the baseline's line), the CPU it has used since it started goes to stderr.
import { CPU_PREFIX } from "./spec.js";

const write = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
let reported = false;
process.stdout.write = ((...args: unknown[]) => {
  if (!reported) {
    reported = true;
    const { user, system } = process.cpuUsage();
    process.stderr.write(`${CPU_PREFIX}${(user + system) / 1000}\n`);
  }
  return write(...args);
}) as typeof process.stdout.write;
