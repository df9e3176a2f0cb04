// The emulator in the Azure CLI mode: real tokens (here a fake `az` on PATH, since the Azure CLI is not installed on
// these machines) behind App Service's and IMDS's protocols, for our credentials and for @azure/identity's
// ManagedIdentityCredential in another process given only the variables the emulator prints.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { AppServiceCredential, AuthenticationError, ImdsCredential } from "../../src/index.js";
import { FakeAzureCli } from "../helpers/fakeAzureCli.js";
import { claimsOf } from "../helpers/runCli.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
/** Preloaded into the child: a connection to anything but loopback throws there. */
const GUARD = pathToFileURL(path.join(REPO, "test", "helpers", "installLoopbackSocketGuard.ts")).href;
const VAULT = "https://vault.azure.net/.default";
const FAST = { retryOptions: { maxRetries: 1, retryDelayInMs: 1, maxRetryDelayInMs: 5 } };

let az: FakeAzureCli;
let emulator: Emulator | undefined;
let failures: string[];
const savedPath = process.env["PATH"];

beforeEach(() => {
  az = new FakeAzureCli();
  process.env["PATH"] = az.path(savedPath);
  failures = [];
});
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  process.env["PATH"] = savedPath;
  az.remove();
});

async function start(timeoutMs?: number): Promise<Emulator> {
  emulator = await startEmulator({
    tokensFrom: "azure-cli",
    azureCli: { timeoutMs, onFailure: (message) => failures.push(message) },
  });
  return emulator;
}

describe("startEmulator({ tokensFrom: 'azure-cli' })", () => {
  it("serves App Service and IMDS only, with the developer's token from az", async () => {
    const emu = await start();
    expect(Object.keys(emu.env).sort()).toEqual(["appservice", "imds"]);
    const appService = await new AppServiceCredential(emu.credentialOptions("appservice")).getToken(VAULT);
    const imds = await new ImdsCredential(emu.credentialOptions("imds")).getToken("https://storage.azure.com/.default");
    expect(claimsOf(appService.token)).toMatchObject({ aud: "https://vault.azure.net", upn: "developer@contoso.com" });
    expect(claimsOf(imds.token)).toMatchObject({ aud: "https://storage.azure.com", upn: "developer@contoso.com" });
    expect(az.runs().map((run) => run[3])).toEqual(["https://vault.azure.net", "https://storage.azure.com"]);
  });

  it("refuses a request without the IDENTITY_HEADER secret, and runs no az", async () => {
    const emu = await start();
    const url = new URL(emu.endpoints.appservice!);
    url.searchParams.set("api-version", "2019-08-01");
    url.searchParams.set("resource", "https://vault.azure.net");
    const withoutSecret = await fetch(url);
    const wrongSecret = await fetch(url, { headers: { "X-IDENTITY-HEADER": "guess" } });
    expect([withoutSecret.status, wrongSecret.status]).toEqual([401, 401]);
    expect(az.runs()).toHaveLength(0);
  });

  it("concurrent requests make one az call per resource", async () => {
    az.setMode("ok", 300);
    const emu = await start();
    const credentials = Array.from({ length: 10 }, () => new AppServiceCredential(emu.credentialOptions("appservice")));
    await Promise.all([
      ...credentials.map((c) => c.getToken(VAULT)),
      ...credentials.map((c) => c.getToken("https://storage.azure.com/.default")),
    ]);
    expect(az.runs()).toHaveLength(2);
  });

  it("a user-assigned identity is refused with a message that says why; nothing runs az", async () => {
    const emu = await start();
    const error = await new AppServiceCredential({
      ...emu.credentialOptions("appservice"),
      clientId: "0f0f0f0f-1111-2222-3333-444444444444",
    })
      .getToken(VAULT)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(
      /Azure CLI's signed-in identity.*a user-assigned identity cannot be served/,
    );
    expect(az.runs()).toHaveLength(0);
  });

  it("not signed in: every caller gets the az login advice at once (no retries), and the log says it once", async () => {
    az.setMode("not-signed-in");
    const emu = await start();
    const results = await Promise.allSettled([
      new AppServiceCredential({ ...emu.credentialOptions("appservice"), ...FAST }).getToken(VAULT),
      new ImdsCredential({ ...emu.credentialOptions("imds"), ...FAST }).getToken(VAULT),
    ]);
    for (const result of results) {
      expect(result.status).toBe("rejected");
      const error = (result as PromiseRejectedResult).reason as AuthenticationError;
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.statusCode).toBe(403);
      expect(error.message).toMatch(/Run 'az login'/);
    }
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.every((line) => /az login/.test(line))).toBe(true);
    expect(emu.requests.every((record) => record.outcome === 403)).toBe(true);
  });

  it("an az that hangs is stopped at its bound and the caller gets a clear error", async () => {
    az.setMode("hang");
    const emu = await start(1_000);
    const error = await new AppServiceCredential({
      ...emu.credentialOptions("appservice"),
      retryOptions: { maxRetries: 0 },
    })
      .getToken(VAULT)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/did not finish within 1000 ms and was stopped/);
  });

  it("a resource with shell metacharacters reaches az as one argument", async () => {
    const emu = await start();
    const resource = "https://contoso.example/$(id);`id`|id&&id";
    await new ImdsCredential(emu.credentialOptions("imds")).getToken(`${resource}/.default`);
    expect(az.runs()[0]).toEqual(["account", "get-access-token", "--resource", resource, "--output", "json"]);
  });

  it("--listen beyond loopback: App Service is reached on another address, IMDS is not (it stays on 127.0.0.1)", async () => {
    emulator = await startEmulator({ tokensFrom: "azure-cli", listen: "0.0.0.0", azureCli: { onFailure: () => {} } });
    const appService = new URL(emulator.endpoints.appservice!);
    const imds = new URL(emulator.endpoints.imds!);
    expect([appService.hostname, imds.hostname]).toEqual(["127.0.0.1", "127.0.0.1"]);
    // 127.0.0.2 is loopback too, but only a server on every address (0.0.0.0) answers there.
    const other = (url: URL): Promise<number | string> =>
      fetch(`http://127.0.0.2:${url.port}${url.pathname}`).then(
        (response) => response.status,
        (error: { cause?: { code?: string } }) => error.cause?.code ?? "error",
      );
    expect(await other(appService)).toBe(401); // reached, and refused without IDENTITY_HEADER
    expect(await other(imds)).toBe("ECONNREFUSED");
    expect(emulator.describe()).toMatch(/listens on 0\.0\.0\.0:\d+, beyond this machine's loopback/);
  });

  it("listen must be an IP address", async () => {
    await expect(startEmulator({ tokensFrom: "azure-cli", listen: "example.com" })).rejects.toThrow(
      /listen is an IP address/,
    );
  });

  it("sources other than App Service and IMDS are a TypeError", async () => {
    await expect(startEmulator({ tokensFrom: "azure-cli", sources: ["arc"] })).rejects.toThrow(
      /serves App Service and IMDS/,
    );
  });

  it("@azure/identity's ManagedIdentityCredential, in another process given only the printed variables, gets the token", async () => {
    const emu = await start();
    const printed = emu.describe();
    // The Linux line: `docker run --network host -e IDENTITY_ENDPOINT=… -e IDENTITY_HEADER=… <image>`.
    const line = printed.split("\n").find((l) => l.includes("--network host"))!;
    const vars = Object.fromEntries([...line.matchAll(/-e (\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    expect(Object.keys(vars)).toEqual(["IDENTITY_ENDPOINT", "IDENTITY_HEADER"]);
    const script = `
      const { ManagedIdentityCredential } = require("@azure/identity");
      new ManagedIdentityCredential().getToken("${VAULT}").then(
        (t) => { process.stdout.write(t.token); },
        (e) => { process.stderr.write(String(e)); process.exit(1); });`;
    const child = spawn(process.execPath, ["--import", "tsx", "--import", GUARD, "-e", script], {
      cwd: REPO,
      env: { ...vars, PATH: "/usr/bin:/bin" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(claimsOf(stdout)).toMatchObject({ aud: "https://vault.azure.net", upn: "developer@contoso.com" });
  });
});
