// Bundles each entry point of the package into one file, in ESM and in CommonJS: a process that imports the
// package reads and links one file instead of about fifty, which is most of what the package adds to a cold start.
import { mkdirSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

/** The package's entry points, by output path (without extension) inside each format's folder. */
export const ENTRY_POINTS = {
  index: "src/index.ts",
  "emulator/index": "src/emulator/index.ts",
  "cli/main": "src/cli/main.ts",
};

/** The output folders, by esbuild format; the same folders hold tsc's type declarations. */
export const FORMATS = { esm: "esm", cjs: "commonjs" };

// The CommonJS tree's command line runs the ESM one rather than carrying a second 180 KB copy of the program
// (the bin is the ESM file; a copy would only add to the installed size). Node 20's require cannot load ESM;
// import() can.
const COMMONJS_CLI = `#!/usr/bin/env node
// The command line, for the CommonJS tree: the same program as ../../esm/cli/main.js, which it runs.
"use strict";
import("../../esm/cli/main.js").catch((error) => {
  process.stderr.write(\`error: \${error?.message ?? String(error)}\\n\`);
  process.exitCode = 1;
});
`;

/**
 * Writes `<outDir>/esm/…` and `<outDir>/commonjs/…`, one `.js` file per entry point each.
 * Every entry point bundles its own copy of the code it reaches (no shared chunks: a chunk would be a second
 * file to resolve), so the emulator and the command line never enter the package's main file.
 * @param {{ root: string, outDir: string }} where the repository and the folder to write
 */
export async function bundle({ root, outDir }) {
  for (const [format, folder] of Object.entries(FORMATS)) {
    const entryPoints = { ...ENTRY_POINTS };
    if (format === "cjs") delete entryPoints["cli/main"];
    await build({
      absWorkingDir: root,
      entryPoints,
      outdir: `${outDir}/${folder}`,
      bundle: true,
      platform: "node",
      target: "node20",
      format,
      // The run-time dependencies stay packages of their own: an application shares them with its Azure SDK clients.
      external: ["@azure/*"],
      // Readable stack traces: no minification, and names kept where bundling renames a clash (`endpointOf2`).
      minify: false,
      keepNames: true,
      sourcemap: false,
      legalComments: "none",
      logLevel: "warning",
    });
  }
  mkdirSync(`${outDir}/${FORMATS.cjs}/cli`, { recursive: true });
  writeFileSync(`${outDir}/${FORMATS.cjs}/cli/main.js`, COMMONJS_CLI, { mode: 0o755 });
}
