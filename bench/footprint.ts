import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A production install: the packages in `node_modules` (the package itself included) and their bytes. */
export interface InstallSize {
  packages: number;
  bytes: number;
}

/** Both installs, and when and of what they were measured. */
export interface Footprint {
  ours: InstallSize;
  theirs: InstallSize;
  /** The sha1 of our packed tarball. */
  oursTarball: string;
  theirsSpec: string;
  measuredAt: string;
}

/** Counts the packages (folders with a package.json directly under a node_modules or @scope) and the bytes of every file. */
async function measureTree(nodeModules: string): Promise<InstallSize> {
  let packages = 0;
  let bytes = 0;
  const walk = async (folder: string, packageParent: boolean): Promise<void> => {
    for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        const isScope = packageParent && entry.name.startsWith("@");
        const isPackage = packageParent && !isScope && !entry.name.startsWith(".");
        if (isPackage) {
          try {
            await fs.access(path.join(full, "package.json"));
            packages++;
          } catch {
            // not a package folder (npm's own bookkeeping)
          }
        }
        await walk(full, isScope || entry.name === "node_modules");
      } else if (entry.isFile()) {
        bytes += (await fs.stat(full)).size;
      }
    }
  };
  await walk(nodeModules, true);
  return { packages, bytes };
}

async function npm(args: string[], cwd: string): Promise<string> {
  const npmCli = process.env["npm_execpath"];
  const [command, prefix] = npmCli?.endsWith(".js") ? [process.execPath, [npmCli]] : ["npm", []];
  const { stdout } = await run(command, [...prefix, ...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    maxBuffer: 16 * 1024 * 1024,
    shell: process.platform === "win32",
  });
  return stdout;
}

/** Installs `spec` with `--omit=dev` into a fresh prefix under `root` and measures it. */
async function productionInstall(spec: string, root: string, name: string): Promise<InstallSize> {
  const prefix = path.join(root, name);
  await fs.mkdir(prefix, { recursive: true });
  await fs.writeFile(
    path.join(prefix, "package.json"),
    JSON.stringify({ name: `footprint-${name}`, private: true }) + "\n",
  );
  await npm(["install", "--omit=dev", "--ignore-scripts", "--no-package-lock", spec], prefix);
  return measureTree(path.join(prefix, "node_modules"));
}

/** Reads the cached footprint, if any. */
export async function readCachedFootprint(cacheFile: string): Promise<Footprint | undefined> {
  try {
    return JSON.parse(await fs.readFile(cacheFile, "utf8")) as Footprint;
  } catch {
    return undefined;
  }
}

/**
 * Measures both production installs: `npm pack` of this package (built) installed with
 * `--omit=dev` into one temporary prefix, `theirsSpec` into another. Needs the npm registry, so it
 * runs before the harness enters its loopback-only namespace. Each side is reused from the cache
 * when unchanged (same tarball hash; same spec).
 */
export async function measureFootprint(packageRoot: string, theirsSpec: string, cacheFile: string): Promise<Footprint> {
  const cached = await readCachedFootprint(cacheFile);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "azure-mi-footprint-"));
  try {
    const packed = JSON.parse(await npm(["pack", "--json", "--pack-destination", root], packageRoot)) as {
      filename: string;
    }[];
    const tarball = path.join(root, packed[0]!.filename);
    const oursTarball = createHash("sha1")
      .update(await fs.readFile(tarball))
      .digest("hex");
    const ours = cached?.oursTarball === oursTarball ? cached.ours : await productionInstall(tarball, root, "ours");
    const theirs =
      cached?.theirsSpec === theirsSpec ? cached.theirs : await productionInstall(theirsSpec, root, "theirs");
    const unchanged = cached?.oursTarball === oursTarball && cached.theirsSpec === theirsSpec;
    const footprint: Footprint = {
      ours,
      theirs,
      oursTarball,
      theirsSpec,
      measuredAt: unchanged ? cached!.measuredAt : new Date().toISOString(),
    };
    await fs.mkdir(path.dirname(cacheFile), { recursive: true });
    await fs.writeFile(cacheFile, JSON.stringify(footprint, null, 2) + "\n");
    return footprint;
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}
