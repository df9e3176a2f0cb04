// The package as an application installs it: resolved by name through package.json's exports, from the built
// dist/ (`npm ci` builds it through the prepare script; rebuilt here when src/ is newer), in an ESM and a
// CommonJS application, and type-checked under TypeScript's node16 and nodenext module settings.
import { spawn } from "node:child_process";
import { promises as fs, statSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const GUARD = pathToFileURL(path.join(REPO, "test", "helpers", "installLoopbackSocketGuard.ts")).href;

function newest(folder: string): number {
  let time = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    time = Math.max(time, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return time;
}

function builtAt(): number {
  try {
    return Math.min(
      ...["esm", "commonjs"].flatMap((f) =>
        ["index.js", "emulator/index.js", "index.d.ts"].map((x) => statSync(path.join(REPO, "dist", f, x)).mtimeMs),
      ),
    );
  } catch {
    return 0;
  }
}

const TSC = path.join(REPO, "node_modules", "typescript", "bin", "tsc");

/** Runs node with `args` inside the application folder; resolves with what it printed, rejects on failure. */
function run(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
  return new Promise((resolve, reject) =>
    child.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}: ${out}${err}`)))),
  );
}

const ESM_APP = `
import { ImdsCredential } from "azure-managed-identity";
import { startEmulator } from "azure-managed-identity/emulator";
const credential = new ImdsCredential({ endpoint: process.env.ENDPOINT, retryOptions: { maxRetries: 0 } });
const { token } = await credential.getToken("https://vault.azure.net/.default");
console.log(token, typeof startEmulator);
`;

const CJS_APP = `
const { ImdsCredential } = require("azure-managed-identity");
const { startEmulator } = require("azure-managed-identity/emulator");
const credential = new ImdsCredential({ endpoint: process.env.ENDPOINT, retryOptions: { maxRetries: 0 } });
credential.getToken("https://vault.azure.net/.default").then(({ token }) => console.log(token, typeof startEmulator));
`;

/** The same application in TypeScript: what a consumer's compiler must accept, with the exported types. */
const TYPED_APP = `
import { ImdsCredential, CredentialUnavailableError, type ManagedIdentityCredentialOptions } from "azure-managed-identity";
import { startEmulator } from "azure-managed-identity/emulator";
import type { AccessToken } from "@azure/core-auth";
const options: ManagedIdentityCredentialOptions = { clientId: "x" };
export const pending: Promise<AccessToken> = new ImdsCredential(options).getToken("https://vault.azure.net/.default");
export const unavailable: string = new CredentialUnavailableError("no").name;
export const start: typeof startEmulator = startEmulator;
`;

/**
 * A CommonJS application type-checked under the old `moduleResolution: node` (node10), which reads no `exports`:
 * the main entry resolves through `types`, the emulator's through `typesVersions`.
 */
const NODE10_APP = `
import { ImdsCredential } from "azure-managed-identity";
import { startEmulator, type Emulator } from "azure-managed-identity/emulator";
export async function token(): Promise<string> {
  const emulator: Emulator = await startEmulator();
  return (await new ImdsCredential({ endpoint: emulator.endpoints.imds }).getToken("https://vault.azure.net/.default")).token;
}
`;

/**
 * The README's own examples under `exactOptionalPropertyTypes`: an option given a value that may be `undefined`
 * (an emulator's endpoint, an environment variable) compiles, as the option types say `string | undefined`.
 */
const EXACT_OPTIONAL_APP = `
import { ArcCredential, detectManagedIdentity, ImdsCredential, ManagedIdentityChainCredential, WorkloadIdentityCredential } from "azure-managed-identity";
import { startEmulator } from "azure-managed-identity/emulator";
const emulator = await startEmulator();
export const imds = new ImdsCredential({ endpoint: emulator.endpoints.imds, clientId: process.env["AZURE_CLIENT_ID"] });
export const arc = new ArcCredential({ endpoint: emulator.endpoints.arc, tokenFolder: emulator.tokenFolder });
export const chain = new ManagedIdentityChainCredential({ env: emulator.env.imds, probeTimeoutMs: undefined, retryOptions: { maxRetries: undefined } });
export const workload = new WorkloadIdentityCredential({ tenantId: process.env["TENANT"], userAgentOptions: { userAgentPrefix: undefined } });
export const detection = detectManagedIdentity({ env: emulator.env.arc, arcAgentPath: undefined });
`;

let app: string;

beforeAll(async () => {
  if (builtAt() < Math.max(newest(path.join(REPO, "src")), newest(path.join(REPO, "scripts")))) {
    await run(REPO, [path.join(REPO, "scripts", "build.mjs")]);
  }
  await fs.mkdir(path.join(REPO, "temp"), { recursive: true });
  app = await fs.mkdtemp(path.join(REPO, "temp", "consumer-"));
  // An application with the package installed: node_modules/azure-managed-identity is this repository.
  await fs.mkdir(path.join(app, "node_modules"));
  await fs.symlink(REPO, path.join(app, "node_modules", "azure-managed-identity"), "dir");
  await fs.writeFile(path.join(app, "app.mjs"), ESM_APP);
  await fs.writeFile(path.join(app, "app.cjs"), CJS_APP);
  await fs.writeFile(path.join(app, "typed.mts"), TYPED_APP);
  await fs.writeFile(path.join(app, "typed.cts"), TYPED_APP);
  await fs.writeFile(path.join(app, "node10.ts"), NODE10_APP);
  await fs.writeFile(path.join(app, "exactOptional.mts"), EXACT_OPTIONAL_APP);
}, 180_000);

afterAll(async () => {
  if (app) await fs.rm(app, { recursive: true, force: true });
});

describe("an application using the built package", () => {
  let server: TokenServer;
  beforeAll(async () => {
    server = await startTokenServer(() => tokenAnswer("installed-token"));
  });
  afterAll(() => server.close());

  it("ESM: imports both entry points by name and gets a token", async () => {
    expect(await run(app, ["--import", "tsx", "--import", GUARD, "app.mjs"], { ENDPOINT: server.origin })).toBe(
      "installed-token function",
    );
  });

  it("CommonJS: requires both entry points by name and gets a token", async () => {
    expect(await run(app, ["--import", "tsx", "--import", GUARD, "app.cjs"], { ENDPOINT: server.origin })).toBe(
      "installed-token function",
    );
  });

  for (const moduleSetting of ["node16", "nodenext"]) {
    it(`types: an ESM (.mts) and a CommonJS (.cts) file type-check under module ${moduleSetting}`, async () => {
      // skipLibCheck: not @types/node's own thousands of lines (tens of seconds on a busy machine); the
      // package's declarations are still resolved through its exports and every name used above checked.
      const args = ["--noEmit", "--strict", "--skipLibCheck", "--module", moduleSetting];
      const output = await run(app, [TSC, ...args, "--moduleResolution", moduleSetting, "typed.mts", "typed.cts"]);
      expect(output).toBe("");
    }, 120_000);
  }

  it("types: both entry points resolve under moduleResolution node10 (node), the emulator's through typesVersions", async () => {
    const args = ["--noEmit", "--strict", "--skipLibCheck", "--module", "commonjs", "--moduleResolution", "node10"];
    expect(await run(app, [TSC, ...args, "node10.ts"])).toBe("");
  }, 120_000);

  it("types: the README's option examples compile under exactOptionalPropertyTypes (undefined accepted explicitly)", async () => {
    const args = ["--noEmit", "--strict", "--exactOptionalPropertyTypes", "--skipLibCheck", "--module", "nodenext"];
    const output = await run(app, [
      TSC,
      ...args,
      "--moduleResolution",
      "nodenext",
      "--target",
      "es2022",
      "exactOptional.mts",
    ]);
    expect(output).toBe("");
  }, 120_000);
});
