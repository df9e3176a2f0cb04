// The version in the User-Agent and `--version` is package.json's: scripts/writeVersion.mjs writes it into
// src/constants.ts (npm version and every build run it), and these tests fail when the two drift apart.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { SDK_VERSION } from "../src/constants.js";
import { ImdsCredential } from "../src/index.js";
import { cliEnv, closedPort, runCli } from "./helpers/runCli.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "./helpers/tokenServer.js";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const PACKAGE_VERSION = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string })
  .version;

/** What scripts/writeVersion.mjs writes for a package.json of `version`. */
function generatedFor(version: string): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "mi-version-"));
  mkdirSync(path.join(root, "src"));
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ version }));
  execFileSync(process.execPath, [path.join(ROOT, "scripts", "writeVersion.mjs"), root]);
  return readFileSync(path.join(root, "src", "constants.ts"), "utf8");
}

let server: TokenServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("the package version", () => {
  it("SDK_VERSION is package.json's version, as the generator writes it", () => {
    expect(SDK_VERSION).toBe(PACKAGE_VERSION);
    expect(readFileSync(path.join(ROOT, "src", "constants.ts"), "utf8")).toBe(generatedFor(PACKAGE_VERSION));
  });

  it("the generator follows package.json", () => {
    expect(generatedFor("9.8.7-test.1")).toContain('export const SDK_VERSION = "9.8.7-test.1";');
  });

  it("is in every token request's User-Agent", async () => {
    server = await startTokenServer(() => tokenAnswer());
    await new ImdsCredential({ endpoint: server.origin }).getToken("https://vault.azure.net/.default");
    expect(server.requests[0]!.headers["user-agent"]).toContain(`azsdk-js-azure-managed-identity/${PACKAGE_VERSION}`);
  });

  it("is what --version prints", async () => {
    const run = await runCli(["--version"], cliEnv(await closedPort()));
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${PACKAGE_VERSION}\n`);
  });
});
