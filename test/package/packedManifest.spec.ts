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
let packed: { scripts?: Record<string, string> };

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
  await fs.writeFile(path.join(project, "dist", "esm", "cli", "main.js"), "");
  const out = path.join(work, "out");
  await fs.mkdir(out);
  execFileSync("npm", ["pack", "--pack-destination", out, "--silent"], {
    cwd: project,
    stdio: "pipe",
    env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" },
  });
  const [tarball] = await fs.readdir(out);
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
