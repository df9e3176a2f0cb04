// Writes src/constants.ts from package.json's version: the User-Agent and `--version` read it, and
// test/version.spec.ts fails when the two differ. `npm version` (the "version" script) and every build run
// it, so a release never ships the previous number. A plain constant works alike under tsc, tsx, vitest and
// any bundler: no JSON import from outside src/, no build-time define.
// Usage: node scripts/writeVersion.mjs [root]   (root: the folder holding package.json; default: this repository)
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const source = [
  "// Generated from package.json by scripts/writeVersion.mjs (npm version and npm run build run it).",
  "/** The package version, sent in the User-Agent header and printed by `--version`. @internal */",
  `export const SDK_VERSION = ${JSON.stringify(version)};`,
  "",
].join("\n");
const file = path.join(root, "src", "constants.ts");
let current;
try {
  current = readFileSync(file, "utf8");
} catch {
  current = undefined;
}
// Written only on a change: an unchanged file keeps its time stamp (watchers, incremental builds).
if (current !== source) writeFileSync(file, source);
