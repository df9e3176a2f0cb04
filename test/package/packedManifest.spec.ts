// The package as `npm pack` (and so `npm publish`) makes it: its package.json carries no lifecycle
// script, since scripts/ is not shipped and npm 11 warns a consumer about an install script; the
// clone's own package.json, whose `prepare` builds dist/ on `npm ci`, is left exactly as it was.
// Packed from a copy of the manifest and scripts/packManifest.mjs, with a stand-in build, to keep it fast.
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const LIFECYCLE = [
  "preinstall",
  "install",
  "postinstall",
  "prepublish",
  "prepare",
  "prepublishOnly",
  "prepack",
  "postpack",
];

let work: string;
let before: string;
let packed: { scripts?: Record<string, string>; repository?: unknown; homepage?: string; bugs?: unknown };
/** The files in the tarball, without the leading `package/`. */
let files: string[];
/** Stand-ins for the build's output: the entry points' declarations, and the command line's. */
const BUILT = [
  "dist/esm/cli/main.js",
  "dist/esm/index.js",
  "dist/esm/index.d.ts",
  "dist/esm/emulator/index.d.ts",
  "dist/commonjs/index.d.ts",
  "dist/commonjs/emulator/index.d.ts",
  "dist/esm/cli/main.d.ts",
  "dist/esm/cli/doctor/doctorCommand.d.ts",
  "dist/commonjs/cli/main.d.ts",
  "dist/commonjs/cli/tokenCommand.d.ts",
];

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "packed-manifest-"));
  const project = path.join(work, "project");
  await fs.mkdir(path.join(project, "scripts"), { recursive: true });
  await fs.mkdir(path.join(project, "dist", "esm", "cli"), { recursive: true });
  before = await fs.readFile(path.join(ROOT, "package.json"), "utf8");
  await fs.writeFile(path.join(project, "package.json"), before);
  await fs.copyFile(path.join(ROOT, "scripts", "packManifest.mjs"), path.join(project, "scripts", "packManifest.mjs"));
  // A stand-in for whatever build `prepare` runs: it only has to succeed.
  for (const script of Object.values(JSON.parse(before).scripts as Record<string, string>)) {
    const file = /^node (scripts\/\S+\.mjs)/.exec(script)?.[1];
    if (file && file !== "scripts/packManifest.mjs") await fs.writeFile(path.join(project, file), "");
  }
  for (const file of BUILT) {
    await fs.mkdir(path.dirname(path.join(project, file)), { recursive: true });
    await fs.writeFile(path.join(project, file), "");
  }
  const out = path.join(work, "out");
  await fs.mkdir(out);
  execFileSync("npm", ["pack", "--pack-destination", out, "--silent"], {
    cwd: project,
    stdio: "pipe",
    env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" },
  });
  const [tarball] = await fs.readdir(out);
  files = execFileSync("tar", ["-tzf", path.join(out, tarball!)], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.replace(/^package\//, ""));
  packed = JSON.parse(
    execFileSync("tar", ["-xzOf", path.join(out, tarball!), "package/package.json"], { encoding: "utf8" }),
  ) as typeof packed;
}, 60_000);
afterAll(() => fs.rm(work, { recursive: true, force: true }));

describe("the packed package.json", () => {
  it("carries no lifecycle script (no prepare: scripts/ is not shipped)", () => {
    expect(packed.scripts).toBeDefined();
    expect(LIFECYCLE.filter((event) => packed.scripts?.[event] !== undefined)).toEqual([]);
  });

  it("leaves the clone's package.json as it was, prepare included (npm ci still builds dist/)", async () => {
    expect(await fs.readFile(path.join(work, "project", "package.json"), "utf8")).toBe(before);
    await expect(fs.access(path.join(work, "project", "package.json.before-pack"))).rejects.toThrow();
    expect((JSON.parse(before) as { scripts: Record<string, string> }).scripts["prepare"]).toBeDefined();
  });
});

describe("the packed files", () => {
  it("carry the entry points' declarations, and none of the command line's internals (nothing can import them)", () => {
    expect(files.filter((file) => file.endsWith(".d.ts")).sort()).toEqual([
      "dist/commonjs/emulator/index.d.ts",
      "dist/commonjs/index.d.ts",
      "dist/esm/emulator/index.d.ts",
      "dist/esm/index.d.ts",
    ]);
    expect(files).toContain("dist/esm/cli/main.js");
  });

  it("name the source repository, its home page and where to report bugs (the README sends npm readers there)", () => {
    const repository = "https://github.com/azure-managed-identity/azure-managed-identity";
    expect(packed.repository).toEqual({ type: "git", url: `git+${repository}.git` });
    expect(packed.homepage).toBe(`${repository}#readme`);
    expect(packed.bugs).toEqual({ url: `${repository}/issues` });
  });
});
