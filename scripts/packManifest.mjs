// The published package.json carries no lifecycle script: `prepare` builds dist/ on `npm ci` in a clone
// (so that `npx azure-managed-identity` works there), but scripts/ is not shipped, and npm 11 warns a
// consumer about an install script the package cannot even run. `npm pack` and `npm publish` run
// `prepack` (strip) before they read the files and `postpack` (restore) after; npm has read the scripts
// to run before either, so stripping them from the file on disk does not stop the restore.
//
//   node scripts/packManifest.mjs strip     package.json without lifecycle scripts, the original kept aside
//   node scripts/packManifest.mjs restore   the original back
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const MANIFEST = "package.json";
const KEPT = "package.json.before-pack";
/** npm's lifecycle events: a consumer's npm may run them, or warn about them. */
const LIFECYCLE = [
  "preinstall",
  "install",
  "postinstall",
  "prepublish",
  "preprepare",
  "prepare",
  "postprepare",
  "prepublishOnly",
  "prepack",
  "postpack",
  "publish",
  "postpublish",
];

const command = process.argv[2];
if (command === "strip") {
  // A pack that failed before its postpack left the original aside: put it back before stripping again.
  if (existsSync(KEPT)) renameSync(KEPT, MANIFEST);
  const text = readFileSync(MANIFEST, "utf8");
  const manifest = JSON.parse(text);
  for (const event of LIFECYCLE) delete manifest.scripts?.[event];
  writeFileSync(KEPT, text);
  writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
} else if (command === "restore") {
  if (existsSync(KEPT)) renameSync(KEPT, MANIFEST);
} else {
  console.error("usage: node scripts/packManifest.mjs strip|restore");
  process.exitCode = 2;
}
