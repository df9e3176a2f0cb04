// @azure/identity, unmodified, on the emulated Arc agent, with the challenge file really in
// /var/opt/azcmagent/tokens — inside a private user + mount (+ loopback-only network) namespace
// where that folder is a fresh tmpfs, so nothing is written to this machine's system folders.
// Runs where `unshare -Urmn` is allowed (Linux, root or unprivileged user namespaces).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// import.meta.dirname needs Node 20.11; this works on every Node 20.
const here = path.dirname(fileURLToPath(import.meta.url));

const root = path.resolve(here, "../..");
const child = path.join(here, "fixtures", "azureIdentityArcChild.ts");
// Mount over /var/opt (or /var, when /var/opt does not exist) in the namespace only.
const setUp =
  "set -e; ip link set lo up; " +
  "if [ -d /var/opt ]; then mount -t tmpfs tmpfs /var/opt; else mount -t tmpfs tmpfs /var; mkdir -p /var/opt; fi; " +
  'mkdir -p /var/opt/azcmagent/tokens; exec "$0" --import tsx "$1"';

const namespaces =
  process.platform === "linux" &&
  spawnSync("unshare", ["-Urmn", "sh", "-c", "ip link set lo up && mount -t tmpfs tmpfs /mnt"]).status === 0;

describe.runIf(namespaces)(
  "@azure/identity on the emulated Arc agent, files in the real agent folder (mount namespace)",
  () => {
    it("reads the challenge file from /var/opt/azcmagent/tokens and gets the token", () => {
      const run = spawnSync("unshare", ["-Urmn", "sh", "-c", setUp, process.execPath, child], {
        cwd: root,
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
      expect(result["tokenFolder"]).toBe("/var/opt/azcmagent/tokens");
      expect(result["appid"]).toBe(result["expectedAppid"]);
      expect(result["outcomes"]).toEqual([401, 200]);
      expect(result["left"]).toEqual([]);
    });
  },
);
