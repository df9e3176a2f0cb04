// The main job (`npm start`): the emulator in process, then detection, a token, the cache and a
// secret read with SecretClient for each credential, every step timed; exit 0 only when all worked.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runDemo } from "../../demo/demo.js";
import { SOURCE_NAMES } from "../../src/sources/index.js";

// import.meta.dirname needs Node 20.11; this works on every Node 20.
const here = path.dirname(fileURLToPath(import.meta.url));

const root = path.resolve(here, "../..");
afterEach(() => {
  vi.unstubAllEnvs();
});

// The seven sources' credentials (one per source of the registry, src/sources/index.ts) and the chain.
const CREDENTIALS = [
  "ImdsCredential",
  "ArcCredential",
  "CloudShellCredential",
  "ServiceFabricCredential",
  "AppServiceCredential",
  "AzureMLCredential",
  "WorkloadIdentityCredential",
  "ManagedIdentityChainCredential",
];

describe("runDemo on the emulator", () => {
  it("reads the secret through every credential, timing each step, and exits 0", async () => {
    const lines: string[] = [];
    expect(await runDemo({ write: (line) => lines.push(line) })).toBe(0);
    const text = lines.join("\n");
    for (const name of CREDENTIALS) expect(text).toContain(`\n${name} — `);
    const step = (label: string) => lines.filter((l) => new RegExp(`^  ✓ +\\d+ ms  ${label}`).test(l));
    expect(step("start the emulator")).toHaveLength(1);
    // Each emulated host is detected as itself; the chain's host is the Arc server.
    expect(step("detect: ").map((l) => /detect: (\w+) — /.exec(l)?.[1])).toEqual([
      "imds",
      "arc",
      "cloudshell",
      "servicefabric",
      "appservice",
      "azureml",
      "workloadidentity",
      "arc",
    ]);
    // Every source of the registry goes through the demo, with its own credential.
    expect(new Set(step("detect: ").map((l) => /detect: (\w+) — /.exec(l)?.[1]))).toEqual(new Set(SOURCE_NAMES));
    expect(step('getToken\\("https://vault.azure.net/.default"\\): aud https://vault.azure.net')).toHaveLength(8);
    expect(step("getToken again: the same token, from the cache")).toHaveLength(8);
    expect(step('SecretClient.getSecret\\("demo-secret"\\): "Hello from the emulated Key Vault"')).toHaveLength(8);
    expect(lines.some((l) => l.includes("✗"))).toBe(false);
    expect(lines.at(-1)).toMatch(/^Done: 8 of 8 credentials read the secret, in \d+ ms\.$/);
  });

  it("puts back the environment it changed", async () => {
    vi.stubEnv("IDENTITY_ENDPOINT", "http://127.0.0.1:9/sentinel");
    vi.stubEnv("MSI_ENDPOINT", undefined);
    await runDemo({ write: () => undefined });
    expect(process.env["IDENTITY_ENDPOINT"]).toBe("http://127.0.0.1:9/sentinel");
    expect(process.env["MSI_ENDPOINT"]).toBeUndefined();
  });

  it("reports a failed step with its error and exits 1", async () => {
    const lines: string[] = [];
    const code = await runDemo({
      write: (line) => lines.push(line),
      emulatorOptions: { endpointFaults: { keyvault: { statusSequence: [403] } } },
    });
    expect(code).toBe(1);
    expect(lines.find((l) => l.includes("✗"))).toMatch(
      /✗ +\d+ ms {2}SecretClient\.getSecret\("demo-secret"\): RestError: /,
    );
    expect(lines.at(-1)).toMatch(/^Failed: 1 step\(s\) failed; 7 of 8 credentials read the secret/);
  });
});

describe("demo/main.ts (npm start)", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "demo/main.ts", ...args], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    });

  it("runs the demo and exits 0", () => {
    const result = run();
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("Done: 8 of 8 credentials read the secret");
    expect(result.status).toBe(0);
  });

  it("prints its help, and refuses unknown or misplaced options with exit code 2", () => {
    const help = run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--real");
    expect(run("--bogus").status).toBe(2);
    const misplaced = run("--vault-url", "https://x.vault.azure.net");
    expect(misplaced.status).toBe(2);
    expect(misplaced.stderr).toContain("--vault-url goes with --real");
  });
});
