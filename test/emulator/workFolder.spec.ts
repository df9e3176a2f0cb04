// Issue 21 §3: everything the emulator writes (the Arc challenge files, the federated token file) is under one
// private folder in the temp directory, removed on close(), on exit, on SIGINT/SIGTERM/SIGHUP, and, when its
// process was killed outright, by the next emulator that starts.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import { REPO } from "../helpers/runCli.js";

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "azure-mi-emulator-test-tmp-"));
  vi.stubEnv("TMPDIR", tmp);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(tmp, { recursive: true, force: true });
});

const own = (): string[] => readdirSync(tmp).filter((name) => name.startsWith("azure-mi-emulator-"));

/** A script that starts the emulator (every source), prints its folders, then does `then`. */
function script(then: string): string {
  return `
    import { startEmulator } from "./src/emulator/index.ts";
    const emulator = await startEmulator();
    console.log(JSON.stringify({ tokenFolder: emulator.tokenFolder, tokenFile: emulator.env.workloadidentity.AZURE_FEDERATED_TOKEN_FILE }));
    ${then}
  `;
}

function runChild(code: string): {
  child: ReturnType<typeof spawn>;
  folders: Promise<{ tokenFolder: string; tokenFile: string }>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: REPO,
    env: { PATH: process.env["PATH"], TMPDIR: tmp },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const folders = new Promise<{ tokenFolder: string; tokenFile: string }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]!) as { tokenFolder: string; tokenFile: string });
    });
    child.on("exit", (code) => reject(new Error(`child ended (${code}) before printing`)));
  });
  return { child, folders };
}

const exited = (child: ReturnType<typeof spawn>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));

describe("the emulator's one folder", () => {
  it("holds the Arc challenge folder and the federated token file, private, and goes on close()", async () => {
    const emulator = await startEmulator();
    const [folder] = own();
    expect(own()).toHaveLength(1);
    const root = path.join(tmp, folder!);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(emulator.tokenFolder!.startsWith(`${root}${path.sep}`)).toBe(true);
    expect(emulator.env.workloadidentity!["AZURE_FEDERATED_TOKEN_FILE"]!.startsWith(`${root}${path.sep}`)).toBe(true);
    expect(folder).toMatch(new RegExp(`^azure-mi-emulator-${process.pid}-`));
    await emulator.close();
    expect(own()).toEqual([]);
  });

  it("goes when the process exits without close()", async () => {
    const { child, folders } = runChild(script("process.exit(0);"));
    const { tokenFolder, tokenFile } = await folders;
    expect((await exited(child)).code).toBe(0);
    expect(existsSync(tokenFolder)).toBe(false);
    expect(existsSync(tokenFile)).toBe(false);
    expect(own()).toEqual([]);
  });

  it.each(["SIGINT", "SIGTERM", "SIGHUP"] as const)(
    "goes on %s, and the process still dies of the signal when nothing else listens for it",
    async (signal) => {
      const { child, folders } = runChild(script("setInterval(() => {}, 1000);"));
      const { tokenFolder } = await folders;
      expect(existsSync(tokenFolder)).toBe(true);
      child.kill(signal);
      expect(await exited(child)).toEqual({ code: null, signal });
      expect(own()).toEqual([]);
    },
  );

  it("leaves the signal to an application that listens for it (the process lives on)", async () => {
    const { child, folders } = runChild(
      script(`process.on("SIGTERM", () => { console.log("handled"); setTimeout(() => process.exit(7), 50); });
              setInterval(() => {}, 1000);`),
    );
    await folders;
    child.kill("SIGTERM");
    expect((await exited(child)).code).toBe(7);
    expect(own()).toEqual([]);
  });

  it("is removed by the next start when its process was killed outright (SIGKILL); a live process's stays", async () => {
    const { child, folders } = runChild(script("setInterval(() => {}, 1000);"));
    const { tokenFolder } = await folders;
    child.kill("SIGKILL");
    await exited(child);
    expect(existsSync(tokenFolder)).toBe(true); // nothing runs on SIGKILL
    // Another live process's folder (this one's parent, the test runner's own pid) and a folder of another name stay.
    const alive = path.join(tmp, `azure-mi-emulator-${process.ppid}-live123`);
    const other = path.join(tmp, "azure-mi-emulator-notours");
    mkdirSync(alive);
    mkdirSync(other);
    writeFileSync(path.join(alive, "x"), "x");

    const emulator = await startEmulator({ sources: ["imds"] });
    try {
      expect(existsSync(tokenFolder)).toBe(false);
      expect(existsSync(alive)).toBe(true);
      expect(existsSync(other)).toBe(true);
    } finally {
      await emulator.close();
    }
  });
});
