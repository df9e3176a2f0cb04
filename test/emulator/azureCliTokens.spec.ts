// The emulator's Azure CLI mode, at its source: how `az account get-access-token` is run and read.
// Facts: the answer's fields and the `expires_on`-then-`expiresOn` order are those `@azure/identity`'s
// AzureCliCredential reads (sdk/identity/identity/src/credentials/azureCliCredential.ts, parseRawResponse:
// "expires_on (introduced in Azure CLI v2.54.0) will be preferred"); the not-signed-in text is the CLI's own
// ("Please run 'az login' to setup account.").
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AzureCliTokenError, AzureCliTokens } from "../../src/emulator/azureCliTokens.js";
import { FakeAzureCli } from "../helpers/fakeAzureCli.js";

let az: FakeAzureCli;
let failures: string[];
const savedPath = process.env["PATH"];

beforeEach(() => {
  az = new FakeAzureCli();
  process.env["PATH"] = az.path(savedPath);
  failures = [];
});
afterEach(() => {
  process.env["PATH"] = savedPath;
  az.remove();
});

const tokens = (options: { timeoutMs?: number } = {}): AzureCliTokens =>
  new AzureCliTokens({ ...options, onFailure: (message) => failures.push(message) });

describe("AzureCliTokens", () => {
  it("runs `az account get-access-token --resource R --output json` and reads accessToken and expires_on", async () => {
    const token = await tokens().get("https://vault.azure.net");
    expect(az.runs()).toEqual([
      ["account", "get-access-token", "--resource", "https://vault.azure.net", "--output", "json"],
    ]);
    const claims = JSON.parse(Buffer.from(token.accessToken.split(".")[1]!, "base64url").toString()) as { aud: string };
    expect(claims.aud).toBe("https://vault.azure.net");
    expect(token.expiresOn).toBeGreaterThan(Date.now() / 1000 + 3000);
  });

  it("reads the older expiresOn (a local date-time) when expires_on is absent (Azure CLI before 2.54)", async () => {
    az.setMode("old-expiry-field");
    const token = await tokens().get("https://storage.azure.com");
    expect(Math.abs(token.expiresOn - (Date.now() / 1000 + 3600))).toBeLessThan(120);
  });

  it("adds --tenant when a request names one", async () => {
    await tokens().get("https://vault.azure.net", "contoso.onmicrosoft.com");
    expect(az.runs()[0]).toEqual([
      "account",
      "get-access-token",
      "--resource",
      "https://vault.azure.net",
      "--output",
      "json",
      "--tenant",
      "contoso.onmicrosoft.com",
    ]);
  });

  it("runs az once however many requests arrive together, and once per resource", async () => {
    az.setMode("ok", 200);
    const source = tokens();
    const vault = Array.from({ length: 20 }, () => source.get("https://vault.azure.net"));
    const storage = Array.from({ length: 20 }, () => source.get("https://storage.azure.com"));
    const results = await Promise.all([...vault, ...storage]);
    expect(new Set(results.slice(0, 20).map((t) => t.accessToken)).size).toBe(1);
    expect(az.runs()).toHaveLength(2);
    // Cached afterwards: no third run.
    await source.get("https://vault.azure.net");
    expect(az.runs()).toHaveLength(2);
  });

  it("asks again once the cached token is within five minutes of its expiry", async () => {
    let now = Date.now();
    const source = new AzureCliTokens({ onFailure: () => {} }, () => now);
    await source.get("https://vault.azure.net");
    now += 54 * 60_000; // the fake's token lives one hour: 6 minutes left, still served
    await source.get("https://vault.azure.net");
    expect(az.runs()).toHaveLength(1);
    now += 2 * 60_000; // 4 minutes left
    await source.get("https://vault.azure.net");
    expect(az.runs()).toHaveLength(2);
  });

  it("passes a resource with shell metacharacters to az as one argument, never through a shell", async () => {
    const marker = join(az.folder, "pwned");
    const resource = `https://vault.azure.net/$(touch ${marker});touch ${marker}|\`touch ${marker}\` && echo "x" > ${marker}`;
    await tokens().get(resource);
    expect(az.runs()[0]![3]).toBe(resource);
    expect(az.runs()[0]).toHaveLength(6);
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses a resource that az would read as an option, without running az", async () => {
    await expect(tokens().get("--help")).rejects.toMatchObject({ status: 400 });
    await expect(tokens().get("x", "--debug")).rejects.toBeInstanceOf(AzureCliTokenError);
    expect(az.runs()).toHaveLength(0);
  });

  it("not signed in: a 403 whose words say to run az login, and the same line for the log", async () => {
    az.setMode("not-signed-in");
    const error = (await tokens()
      .get("https://vault.azure.net")
      .catch((e: unknown) => e)) as AzureCliTokenError;
    expect(error).toBeInstanceOf(AzureCliTokenError);
    expect(error.status).toBe(403);
    expect(error.description).toMatch(/Please run 'az login' to setup account/);
    expect(error.description).toMatch(/Run 'az login' \(and 'az account set --subscription <id>'/);
    expect(failures).toEqual([error.description]);
  });

  it("a failure is not cached: the next request runs az again", async () => {
    az.setMode("fail");
    const source = tokens();
    await expect(source.get("https://vault.azure.net")).rejects.toMatchObject({ status: 403 });
    az.setMode("ok");
    await expect(source.get("https://vault.azure.net")).resolves.toMatchObject({ accessToken: expect.any(String) });
    expect(az.runs()).toHaveLength(2);
  });

  it("an az that hangs is killed at its bound, and every waiting caller gets the same clear 403 (not retried)", async () => {
    az.setMode("hang");
    const source = tokens({ timeoutMs: 500 });
    const waiting = await Promise.allSettled([
      source.get("https://vault.azure.net"),
      source.get("https://vault.azure.net"),
    ]);
    for (const result of waiting) {
      expect(result.status).toBe("rejected");
      const error = (result as PromiseRejectedResult).reason as AzureCliTokenError;
      expect(error.status).toBe(403);
      expect(error.description).toMatch(/did not finish within 500 ms and was stopped/);
    }
    // One run for both callers (counted where it is started: a fake killed before it logs leaves no line).
    expect(source.runs).toBe(1);
  });

  it("a hung az is stopped whole: the process it started goes too (the real az is a wrapper)", async () => {
    az.setMode("hang-with-child");
    const source = tokens({ timeoutMs: 3000 });
    await expect(source.get("https://vault.azure.net")).rejects.toMatchObject({ status: 403 });
    const pid = az.childPid();
    expect(pid).toBeGreaterThan(0);
    // Running, not a zombie that this machine's init has yet to reap (state Z in /proc).
    const alive = (): boolean => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
      } catch {
        return false;
      }
    };
    // Reaped by init once its group is killed: asked a bounded number of times, never timed.
    for (let i = 0; i < 50 && alive(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive()).toBe(false);
  });

  it("az's own closing period is not doubled in the message", async () => {
    az.setMode("not-signed-in");
    const error = (await tokens()
      .get("https://vault.azure.net")
      .catch((e: unknown) => e)) as AzureCliTokenError;
    expect(error.description).toContain("Please run 'az login' to setup account. Run 'az login'");
    expect(error.description).not.toContain("..");
  });

  it("output that is not JSON is a clear failure", async () => {
    az.setMode("garbage");
    await expect(tokens().get("https://vault.azure.net")).rejects.toMatchObject({
      status: 403,
      description: expect.stringMatching(/not JSON/),
    });
  });

  it("az not installed: says to install it", async () => {
    const source = new AzureCliTokens({ command: join(az.folder, "no-such-az"), onFailure: () => {} });
    await expect(source.get("https://vault.azure.net")).rejects.toMatchObject({
      description: expect.stringMatching(/was not found on PATH: install it/),
    });
  });
});
