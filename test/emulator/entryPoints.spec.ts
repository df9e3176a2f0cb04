// The emulator lives behind its own subpath, `azure-managed-identity/emulator`: importing the
// credentials never loads it (nor node:https servers, certificates or the demo).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// import.meta.dirname needs Node 20.11; this works on every Node 20.
const here = path.dirname(fileURLToPath(import.meta.url));

const root = path.resolve(here, "../..");

/** Every source file reachable from `entry` through relative imports (static and dynamic). */
function moduleGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      visit(path.resolve(path.dirname(file), match[1]!.replace(/\.js$/, ".ts")));
    }
  };
  visit(entry);
  return seen;
}

describe("entry points", () => {
  it("the package's main entry does not reach the emulator or the demo", () => {
    const graph = [...moduleGraph(path.join(root, "src/index.ts"))].map((f) => path.relative(root, f));
    expect(graph).toContain("src/credentials/imdsCredential.ts"); // the walk works
    expect(graph.filter((f) => f.startsWith("src/emulator/") || f.startsWith("demo/"))).toEqual([]);
  });

  it("the emulator entry reaches no credential code: it stands alone", () => {
    const graph = [...moduleGraph(path.join(root, "src/emulator/index.ts"))].map((f) => path.relative(root, f));
    expect(graph).toContain("src/emulator/startEmulator.ts");
    expect(graph.filter((f) => !f.startsWith("src/emulator/"))).toEqual([]);
  });

  it("package.json exports ./emulator for import and require, with types, like the root entry", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
      exports: Record<string, unknown>;
    };
    expect(pkg.exports["./emulator"]).toEqual({
      import: { types: "./dist/esm/emulator/index.d.ts", default: "./dist/esm/emulator/index.js" },
      require: { types: "./dist/commonjs/emulator/index.d.ts", default: "./dist/commonjs/emulator/index.js" },
    });
  });

  it("the emulator entry exports startEmulator and its helpers", async () => {
    const emulator = await import("../../src/emulator/index.js");
    expect(Object.keys(emulator).sort()).toEqual(
      [
        "KEY_VAULT_RESOURCE",
        "createSelfSignedCertificate",
        "emulatedKeyVaultClientOptions",
        "parseFaultSequence",
        "startEmulator",
        "trustCertificatePolicy",
        "trustCertificatePolicyName",
      ].sort(),
    );
  });
});
