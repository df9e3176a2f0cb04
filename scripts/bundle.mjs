// Bundles each entry point of the package into one file, in ESM and in CommonJS: a process that imports the
// package reads and links one file instead of about fifty, which is most of what the package adds to a cold start.
import { build } from "esbuild";

/** The package's entry points, by output path (without extension) inside each format's folder. */
export const ENTRY_POINTS = {
  index: "src/index.ts",
  "emulator/index": "src/emulator/index.ts",
  "cli/main": "src/cli/main.ts",
};

/** The output folders, by esbuild format; the same folders hold tsc's type declarations. */
export const FORMATS = { esm: "esm", cjs: "commonjs" };

/**
 * Writes `<outDir>/esm/…` and `<outDir>/commonjs/…`, one `.js` file per entry point each.
 * Every entry point bundles its own copy of the code it reaches (no shared chunks: a chunk would be a second
 * file to resolve), so the emulator and the command line never enter the package's main file.
 * @param {{ root: string, outDir: string }} where the repository and the folder to write
 */
export async function bundle({ root, outDir }) {
  for (const [format, folder] of Object.entries(FORMATS)) {
    await build({
      absWorkingDir: root,
      entryPoints: ENTRY_POINTS,
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
}
