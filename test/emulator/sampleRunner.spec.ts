// `npm run sample -- <name>` (samples/run.ts): every sample runs against the emulator with one command.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { isSampleName, runSample, SAMPLES, type SampleName } from "../../samples/run.js";
import { cliEnv, closedPort, finished, REPO } from "../helpers/runCli.js";

const SAMPLE_FILES = readdirSync(path.join(REPO, "samples"))
  .filter((file) => file.endsWith(".ts") && file !== "run.ts")
  .map((file) => file.slice(0, -".ts".length));

const EXPECTED: Record<SampleName, RegExp> = {
  keyVaultArc: /^Read the secret 'db-password' \(28 characters\)\.$/,
  keyVaultChain: /^Read the secret 'db-password' \(28 characters\)\.$/,
  keyVaultImds: /^Read the secret 'db-password' \(28 characters\)\.$/,
  storageBlob: /^BlobServiceClient for 'myaccount': a Storage token from the emulated IMDS, valid until \d{4}-/,
};

describe("npm run sample -- <name>", () => {
  it("knows every sample in samples/", () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...SAMPLE_FILES].sort());
    expect(SAMPLE_FILES.every(isSampleName)).toBe(true);
    expect(isSampleName("run")).toBe(false);
    expect(isSampleName("toString")).toBe(false);
  });

  it.each(SAMPLE_FILES)("runs %s against the emulator", async (name) => {
    expect(isSampleName(name)).toBe(true);
    expect(await runSample(name as SampleName)).toMatch(EXPECTED[name as SampleName]);
  });

  it("is one command: npm run sample -- keyVaultArc prints what the sample read, and nothing leaves loopback", async () => {
    const guard = pathToFileURL(path.join(REPO, "test", "helpers", "installLoopbackSocketGuard.ts")).href;
    // npm itself must not look for its own update: with HOME a fresh folder it would ask the registry (off loopback,
    // which the guard refuses and a loopback-only namespace never answers).
    const env = {
      ...cliEnv(await closedPort()),
      NODE_OPTIONS: `--import tsx --import ${guard}`,
      npm_config_update_notifier: "false",
      npm_config_audit: "false",
      npm_config_fund: "false",
    };
    const sample = await finished(
      spawn("npm", ["run", "--silent", "sample", "--", "keyVaultArc"], {
        cwd: REPO,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    expect(sample).toMatchObject({
      code: 0,
      stderr: "",
      stdout: "keyVaultArc: Read the secret 'db-password' (28 characters).\n",
    });

    const usage = await finished(
      spawn("npm", ["run", "--silent", "sample", "--", "nope"], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] }),
    );
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain(
      "Usage: npm run sample -- <name>, where <name> is one of keyVaultImds, keyVaultArc, keyVaultChain, storageBlob.",
    );
  }, 120_000);
});
