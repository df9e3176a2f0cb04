// Workload identity's own edges: the `endpoint` option obeys the rule AZURE_AUTHORITY_HOST obeys (https, except
// loopback), so the federated assertion never goes out over plain http; and a token file that is not a regular
// file with a real size is refused (/proc/self/environ reports size 0: the process environment would have been
// sent as the assertion).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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
