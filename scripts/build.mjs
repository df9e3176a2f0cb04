// Builds the ESM and CommonJS outputs with their type declarations, from one source tree.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";

const tsc = (project) => execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", project], { stdio: "inherit" });

rmSync("dist", { recursive: true, force: true });
tsc("tsconfig.build.esm.json");
tsc("tsconfig.build.cjs.json");
// The package is "type": "module"; this marks the CommonJS tree as CommonJS.
mkdirSync("dist/commonjs", { recursive: true });
writeFileSync("dist/commonjs/package.json", JSON.stringify({ type: "commonjs" }) + "\n");
