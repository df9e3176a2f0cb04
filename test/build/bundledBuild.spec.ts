// The bundled build (scripts/bundle.mjs): one file per entry point in ESM and in CommonJS, @azure/* left to the
// application's own copies, the emulator and the command line kept out of the package's main file, and names
// left readable for stack traces. Built here into a fresh folder, so what is checked is what the script makes.
import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SDK_VERSION } from "../../src/constants.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const GUARD = pathToFileURL(path.join(REPO, "test", "helpers", "installLoopbackSocketGuard.ts")).href;
const FILES = ["index.js", "emulator/index.js", "cli/main.js"];
const FORMATS = ["esm", "commonjs"] as const;

type Bundle = (options: { root: string; outDir: string }) => Promise<void>;

/** What a bundled credential module exports, as far as these tests use it. */
interface Built {
  ImdsCredential: new (options?: Record<string, unknown>) => { getToken(scope: string): Promise<{ token: string }> };
  CredentialUnavailableError: { name: string };
}

let outDir: string;
const read = (format: string, file: string): Promise<string> => fs.readFile(path.join(outDir, format, file), "utf8");

/** The source files esbuild names in its `// path` comments, one per module it put in the bundle. */
function bundledModules(text: string): string[] {
  return [...text.matchAll(/^\/\/ ((?:src|node_modules)\/\S+)$/gm)].map((m) => m[1]!);
}

/** Every module specifier the bundle still imports or requires at run time (`"tokens-from": …` is not an import). */
function runtimeSpecifiers(text: string): string[] {
  const found = [
    ...text.matchAll(/(?:(?<![\w$-])from\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)["']([^"']+)["']/gm),
  ];
  return [...new Set(found.map((m) => m[1]!))];
}

beforeAll(async () => {
  // Inside the repository, so that the bundles resolve @azure/* from its node_modules like an installed package.
  await fs.mkdir(path.join(REPO, "temp"), { recursive: true });
  outDir = await fs.mkdtemp(path.join(REPO, "temp", "bundle-"));
  const { bundle } = (await import(pathToFileURL(path.join(REPO, "scripts", "bundle.mjs")).href)) as {
    bundle: Bundle;
  };
  await bundle({ root: REPO, outDir });
  await fs.writeFile(path.join(outDir, "esm", "package.json"), JSON.stringify({ type: "module" }));
  await fs.writeFile(path.join(outDir, "commonjs", "package.json"), JSON.stringify({ type: "commonjs" }));
}, 60_000);

afterAll(async () => {
  if (outDir) await fs.rm(outDir, { recursive: true, force: true });
});

describe("the bundled build", () => {
  it("writes exactly one JavaScript file per entry point, in each format", async () => {
    for (const format of FORMATS) {
      const written = (await fs.readdir(path.join(outDir, format), { recursive: true }))
        .map((f) => f.split(path.sep).join("/"))
        .filter((f) => f.endsWith(".js"))
        .sort();
      expect(written).toEqual([...FILES].sort());
    }
  });

  it("each file stands alone: no relative import, only @azure/* packages and node: built-ins", async () => {
    for (const format of FORMATS) {
      for (const file of FILES) {
        if (format === "commonjs" && file === "cli/main.js") continue; // below
        const specifiers = runtimeSpecifiers(await read(format, file));
        expect(
          specifiers.filter((s) => !/^(node:|@azure\/)/.test(s)),
          `${format}/${file}`,
        ).toEqual([]);
      }
    }
  });

  it("keeps @azure/* external: the application's own core-rest-pipeline is the one used, none is copied in", async () => {
    for (const format of FORMATS) {
      const main = await read(format, "index.js");
      expect(runtimeSpecifiers(main)).toEqual(expect.arrayContaining(["@azure/core-rest-pipeline", "@azure/logger"]));
      expect(bundledModules(main).filter((m) => m.startsWith("node_modules/"))).toEqual([]);
      expect(bundledModules(main)).toContain("src/credentials/imdsCredential.ts"); // the comments are read
    }
  });

  it("keeps the emulator and the command line out of the package's main file", async () => {
    for (const format of FORMATS) {
      const main = bundledModules(await read(format, "index.js"));
      expect(main.filter((m) => m.startsWith("src/emulator/") || m.startsWith("src/cli/"))).toEqual([]);
      // The emulator stands alone; the command line carries its own copy of what it runs.
      const emulator = bundledModules(await read(format, "emulator/index.js"));
      expect(emulator.filter((m) => !m.startsWith("src/emulator/"))).toEqual([]);
    }
    expect(bundledModules(await read("esm", "cli/main.js"))).toContain("src/cli/tokenCommand.ts");
  });

  it("the command line's file starts with its shebang in both formats", async () => {
    for (const format of FORMATS) {
      expect((await read(format, "cli/main.js")).split("\n")[0]).toBe("#!/usr/bin/env node");
    }
  });

  it("the CommonJS command line runs the ESM one: the program ships once (installed size)", async () => {
    const cli = await read("commonjs", "cli/main.js");
    expect(runtimeSpecifiers(cli)).toEqual(["../../esm/cli/main.js"]);
    expect(bundledModules(cli)).toEqual([]);
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "--import", GUARD, path.join(outDir, "commonjs", "cli", "main.js"), "--version"],
      {
        cwd: REPO,
        encoding: "utf8",
      },
    );
    expect(child.stderr).toBe("");
    expect(child.stdout.trim()).toBe(SDK_VERSION);
  });

  describe("loaded as ESM and as CommonJS", () => {
    let server: TokenServer;
    beforeAll(async () => {
      server = await startTokenServer(() => tokenAnswer("bundled-token"));
    });
    afterAll(() => server.close());

    const load = async (format: (typeof FORMATS)[number]): Promise<Built> =>
      format === "esm"
        ? ((await import(pathToFileURL(path.join(outDir, "esm", "index.js")).href)) as Built)
        : (createRequire(import.meta.url)(path.join(outDir, "commonjs", "index.js")) as Built);

    for (const format of FORMATS) {
      it(`${format}: a credential gets a token from a loopback IMDS`, async () => {
        const { ImdsCredential } = await load(format);
        const credential = new ImdsCredential({ endpoint: server.origin, retryOptions: { maxRetries: 0 } });
        expect((await credential.getToken("https://vault.azure.net/.default")).token).toBe("bundled-token");
      });

      it(`${format}: names stay readable (no minification): classes and stack frames keep their source names`, async () => {
        const built = await load(format);
        expect(built.ImdsCredential.name).toBe("ImdsCredential");
        expect(built.CredentialUnavailableError.name).toBe("CredentialUnavailableError");
        let stack = "";
        try {
          new built.ImdsCredential({ clientId: "a", objectId: "b" }); // at most one: a TypeError at construction
        } catch (error) {
          stack = (error as Error).stack ?? "";
        }
        expect(stack).toMatch(/at userAssignedIdentity \(.*[/\\]index\.js:\d+:\d+\)/);
        expect(stack).toMatch(/at new ManagedIdentityClient \(/);
        expect(stack).toMatch(/at new ImdsCredential \(/);
      });
    }
  });
});
