// Workload identity's own edges: the `endpoint` option obeys the rule AZURE_AUTHORITY_HOST obeys (https, except
// loopback), so the federated assertion never goes out over plain http; and a token file that is not a regular
// file with a real size is refused (/proc/self/environ reports size 0: the process environment would have been
// sent as the assertion).
import { existsSync, promises as fsPromises, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthenticationError, WorkloadIdentityCredential } from "../../src/index.js";
import { startTokenServer, type TokenServer } from "../helpers/tokenServer.js";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT = "0a1b2c3d-0000-0000-0000-000000000001";
const ASSERTION = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDp3b3JrbG9hZCJ9.c2ln";

let dir: string;
let server: TokenServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mi-wi-edges-"));
});
afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server?.close();
  server = undefined;
});

function credential(options: { endpoint?: string; tokenFilePath?: string }): WorkloadIdentityCredential {
  const tokenFilePath = options.tokenFilePath ?? path.join(dir, "token");
  if (options.tokenFilePath === undefined) writeFileSync(tokenFilePath, ASSERTION);
  return new WorkloadIdentityCredential({ clientId: CLIENT, tenantId: TENANT, ...options, tokenFilePath });
}

describe("workload identity's endpoint option", () => {
  it.each([
    "http://10.1.2.3/t/oauth2/v2.0/token",
    "http://login.microsoftonline.com/t/oauth2/v2.0/token",
    "http://127.0.0.1.nip.io/t/oauth2/v2.0/token",
    "http://[::ffff:10.0.0.1]/t/oauth2/v2.0/token",
  ])("refuses plain http off this machine at construction: %s", (endpoint) => {
    expect(() => credential({ endpoint })).toThrow(
      new TypeError(`The endpoint option must be an https URL (http only to this machine's loopback): '${endpoint}'.`),
    );
  });

  it.each([
    "https://login.example.com/t/oauth2/v2.0/token",
    "http://127.0.0.1:1/t",
    "http://localhost:1/t",
    "http://[::1]:1/t",
  ])("takes https anywhere and http on loopback: %s", (endpoint) => {
    expect(() => credential({ endpoint })).not.toThrow();
  });
});

describe("workload identity's token file", () => {
  it.runIf(existsSync("/proc/self/environ"))(
    "refuses /proc/self/environ (a size of 0 that reads as the process environment) and sends nothing",
    async () => {
      server = await startTokenServer(() => ({ status: 200, body: { access_token: "t", expires_in: 3600 } }));
      const error = await credential({ endpoint: `${server.origin}/t`, tokenFilePath: "/proc/self/environ" })
        .getToken("https://vault.azure.net/.default")
        .catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as Error).message).toContain("'/proc/self/environ': its size is 0");
      expect(server.requests).toHaveLength(0);
    },
  );

  it("refuses an empty regular file by its size, and a directory, sending nothing", async () => {
    server = await startTokenServer(() => ({ status: 200, body: { access_token: "t", expires_in: 3600 } }));
    const empty = path.join(dir, "empty");
    writeFileSync(empty, "");
    await expect(
      credential({ endpoint: `${server.origin}/t`, tokenFilePath: empty }).getToken("https://vault.azure.net"),
    ).rejects.toThrow(/its size is 0/);
    await expect(
      credential({ endpoint: `${server.origin}/t`, tokenFilePath: dir }).getToken("https://vault.azure.net"),
    ).rejects.toThrow(/not a regular file/);
    expect(server.requests).toHaveLength(0);
  });
});

// Issue 20 §6: the file is opened once, checked and read from the same descriptor, bounded (as the Arc file is).
describe("the federated token file is checked and read through one descriptor", () => {
  it("a file swapped for a larger one right after the check: the file checked is the file read, never the other", async () => {
    server = await startTokenServer(() => ({
      status: 200,
      body: { token_type: "Bearer", expires_in: 3599, access_token: "entra-token" },
    }));
    const tokenFilePath = path.join(dir, "token");
    writeFileSync(tokenFilePath, ASSERTION);
    const large = path.join(dir, "large");
    writeFileSync(large, "L".repeat(1024 * 1024));
    // The swap (a rename over the path, as an attacker or a rotation would) comes right after the first check of
    // the file, by path or by descriptor: the window between a stat and a second open.
    let swapped = false;
    const swap = async (): Promise<void> => {
      if (swapped) return;
      swapped = true;
      await fsPromises.rename(large, tokenFilePath);
    };
    const probe = await fsPromises.open(tokenFilePath);
    const handlePrototype = Object.getPrototypeOf(probe) as fsPromises.FileHandle;
    await probe.close();
    const statByPath = fsPromises.stat.bind(fsPromises);
    const statByHandle = handlePrototype.stat;
    vi.spyOn(fsPromises, "stat").mockImplementation(async (...args: Parameters<typeof fsPromises.stat>) => {
      const stat = await statByPath(...args);
      await swap();
      return stat;
    });
    vi.spyOn(handlePrototype, "stat").mockImplementation(async function (this: fsPromises.FileHandle, ...args) {
      const stat = await statByHandle.apply(this, args as never);
      await swap();
      return stat;
    } as typeof handlePrototype.stat);
    try {
      const wi = new WorkloadIdentityCredential({
        clientId: CLIENT,
        tenantId: TENANT,
        tokenFilePath,
        authorityHost: server.origin,
      });
      await expect(wi.getToken("https://vault.azure.net/.default")).resolves.toMatchObject({ token: "entra-token" });
    } finally {
      vi.restoreAllMocks();
    }
    expect(swapped).toBe(true);
    expect(new URLSearchParams(server.requests[0]!.body).get("client_assertion")).toBe(ASSERTION);
  });
});
