import path from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const eslint = new ESLint({ cwd: root });

/** The no-restricted-imports errors ESLint reports for `code` placed at `file`. */
async function layerErrors(file: string, specifier: string): Promise<string[]> {
  const code = `import * as imported from "${specifier}";\nexport const used = imported;\n`;
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("npm run lint enforces the layers (eslint.config.js)", () => {
  it.each([
    ["src/sources/backImport.ts", "../engine/managedIdentityClient.js"],
    ["src/sources/arc/backImport.ts", "../../credentials/arcCredential.js"],
    ["src/pipeline/backImport.ts", "../sources/source.js"],
    ["src/token/backImport.ts", "../pipeline/retryPolicy.js"],
    ["src/pipeline/backImport.ts", "../token/tokenCache.js"],
    ["src/shared/backImport.ts", "../token/tokenCache.js"],
    ["src/errors.backImport.ts", "./sources/imds.js"],
    ["src/engine/backImport.ts", "../detection/imdsProbe.js"],
    ["src/detection/backImport.ts", "../credentials/imdsCredential.js"],
    ["src/credentials/backImport.ts", "../cli/run.js"],
    ["src/sources/backImport.ts", "./index.js"],
    ["src/emulator/backImport.ts", "../errors.js"],
  ])("%s may not import %s", async (file, specifier) => {
    const errors = await layerErrors(file, specifier);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Layers import only downwards|not an index|emulator stands alone/);
  });

  it.each([
    ["src/sources/ok.ts", "../pipeline/metadataHeaderPolicy.js"],
    ["src/sources/arc/ok.ts", "../../shared/loopbackHost.js"],
    ["src/engine/ok.ts", "../sources/source.js"],
    ["src/detection/ok.ts", "../engine/createTokenRequest.js"],
    ["src/credentials/ok.ts", "../sources/index.js"],
    ["src/cli/ok.ts", "../emulator/index.js"],
    ["src/emulator/ok.ts", "./answers.js"],
  ])("%s may import %s (downwards)", async (file, specifier) => {
    expect(await layerErrors(file, specifier)).toEqual([]);
  });
});
