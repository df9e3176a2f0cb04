// The command line is reached only through its `bin`: importing the package never loads it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SRC = path.join(ROOT, "src");

/** Every source file the module statically or dynamically imports, transitively. */
function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](\.[^"']+)["']/g)) {
      visit(path.resolve(path.dirname(file), match[1]!.replace(/\.js$/, ".ts")));
    }
  };
  visit(entry);
  return seen;
}

describe("the package root and the command line", () => {
  it("src/index.ts reaches no file of src/cli", () => {
    const graph = [...importGraph(path.join(SRC, "index.ts"))];
    expect(graph.length).toBeGreaterThan(20);
    expect(graph.filter((file) => file.startsWith(path.join(SRC, "cli") + path.sep))).toEqual([]);
  });

  it("the bin is the built src/cli/main.ts, which starts with a node shebang", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ "azure-managed-identity": "./dist/esm/cli/main.js" });
    expect(readFileSync(path.join(SRC, "cli", "main.ts"), "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
  });

  it("the command line's own graph does reach it (the scan sees imports)", () => {
    const graph = importGraph(path.join(SRC, "cli", "main.ts"));
    expect(graph.has(path.join(SRC, "cli", "doctor", "doctorCommand.ts"))).toBe(true);
    expect(graph.has(path.join(SRC, "emulator", "index.ts"))).toBe(true);
  });
});
