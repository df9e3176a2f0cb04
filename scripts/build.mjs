// Builds dist/: one bundled file per entry point in ESM and CommonJS (scripts/bundle.mjs), and tsc's type
// declarations beside them, unchanged from a plain tsc build.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { bundle } from "./bundle.mjs";

const tsc = (project) =>
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", project], { stdio: "inherit" });

// The version the User-Agent and --version report, from package.json (scripts/writeVersion.mjs).
execFileSync(process.execPath, ["scripts/writeVersion.mjs"], { stdio: "inherit" });
rmSync("dist", { recursive: true, force: true });
// Declarations only (emitDeclarationOnly in both configs): the JavaScript is the bundle's.
tsc("tsconfig.build.esm.json");
tsc("tsconfig.build.cjs.json");
await bundle({ root: process.cwd(), outDir: "dist" });
// The package is "type": "module"; this marks the CommonJS tree as CommonJS.
mkdirSync("dist/commonjs", { recursive: true });
writeFileSync("dist/commonjs/package.json", JSON.stringify({ type: "commonjs" }) + "\n");
// The bin must be executable: npm sets the bit when it installs the package, but `npx azure-managed-identity`
// in a clone of this repository links the project's own dist and runs it as it is ("Permission denied").
for (const build of ["esm", "commonjs"]) chmodSync(`dist/${build}/cli/main.js`, 0o755);
