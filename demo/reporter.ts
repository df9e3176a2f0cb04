import { performance } from "node:perf_hooks";

/**
 * Prints the demo's steps, each with what it gave (or its error) and the time it took.
 * @internal
 */
export class Reporter {
  /** How many steps failed. */
  failures = 0;

  constructor(private readonly write: (line: string) => void = (line) => console.log(line)) {}

  /** A line of text, as is. */
  line(text = ""): void {
    this.write(text);
  }

  /**
   * Runs one step and prints `✓ <ms> <label>: <result>` or `✗ <ms> <label>: <error>`.
   * @returns the step's value, or `undefined` when it failed.
   */
  async step<T>(label: string, run: () => Promise<T> | T, describe: (value: T) => string): Promise<T | undefined> {
    const start = performance.now();
    try {
      const value = await run();
      this.write(`  ✓ ${Reporter.ms(performance.now() - start)}  ${label}: ${describe(value)}`);
      return value;
    } catch (error) {
      this.failures++;
      const e = error as Error;
      this.write(
        `  ✗ ${Reporter.ms(performance.now() - start)}  ${label}: ${e?.name ?? "Error"}: ${e?.message ?? String(error)}`,
      );
      return undefined;
    }
  }

  /** A duration, right-aligned: `   12 ms`, `  3.4 s`. */
  static ms(ms: number): string {
    return (ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`).padStart(8);
  }
}
