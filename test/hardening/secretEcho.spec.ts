// Every secret a request carries stays out of errors and logs, for every source: App Service's
// X-IDENTITY-HEADER (IDENTITY_HEADER), Azure ML's MSI_SECRET and workload identity's federated assertion.
// Before, only Arc's secret was scrubbed: an endpoint that echoed what it got put it verbatim into the message.
import { AzureLogger, type AzureLogLevel, getLogLevel, setLogLevel } from "@azure/logger";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { format, inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  AppServiceCredential,
  AuthenticationError,
  AzureMLCredential,
  WorkloadIdentityCredential,
} from "../../src/index.js";
import { type SeenRequest, startTokenServer, type TokenServer } from "../helpers/tokenServer.js";

const SECRET = 's3cr3t-Value+with/odd=chars&"quotes"-0123456789abcdef';
const ASSERTION = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDp3b3JrbG9hZCJ9.c2lnbmF0dXJl";

/** Echoes everything the request carried: headers and body, in a JSON error description and as plain text. */
const echo = (kind: "json" | "text") => (request: SeenRequest) => {
  const said = `got body ${request.body} and headers ${JSON.stringify(request.headers)}`;
  return kind === "json"
    ? { status: 400, body: { error: "invalid_request", error_description: said } }
    : { status: 500, headers: { "Content-Type": "text/plain" }, body: said };
};

let server: TokenServer | undefined;
let lines: string[];
let originalLog: typeof AzureLogger.log;
let level: AzureLogLevel | undefined;
let dir: string;
beforeEach(() => {
  lines = [];
  level = getLogLevel();
  originalLog = AzureLogger.log;
  AzureLogger.log = (...args: unknown[]) => lines.push(format(...args));
  setLogLevel("verbose");
  dir = mkdtempSync(path.join(tmpdir(), "mi-echo-"));
});
afterEach(async () => {
  AzureLogger.log = originalLog;
  setLogLevel(level);
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
  await server?.close();
  server = undefined;
});

function expectAbsent(error: unknown, secret: string): void {
  expect(error).toBeInstanceOf(AuthenticationError);
  const e = error as AuthenticationError;
  for (const form of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]) {
    expect(e.message).not.toContain(form);
    expect(e.stack ?? "").not.toContain(form);
    expect(inspect(e, { depth: Infinity, showHidden: true })).not.toContain(form);
    expect(JSON.stringify(e.errorResponse ?? {})).not.toContain(form);
    for (const line of lines) expect(line).not.toContain(form);
  }
  // The echo still says something: the secret is replaced by its name, not the whole answer dropped.
  expect(e.message).toMatch(/not shown/);
}

describe.each(["json", "text"] as const)("an endpoint that echoes the request (%s)", (kind) => {
  it("App Service: IDENTITY_HEADER never appears", async () => {
    server = await startTokenServer(echo(kind));
    vi.stubEnv("IDENTITY_ENDPOINT", `${server.origin}/msi/token`);
    vi.stubEnv("IDENTITY_HEADER", SECRET);
    const error = await new AppServiceCredential({ retryOptions: { maxRetries: 0 } })
      .getToken("https://vault.azure.net")
      .catch((e: unknown) => e);
    expect(server.requests[0]!.headers["x-identity-header"]).toBe(SECRET);
    expectAbsent(error, SECRET);
  });

  it("Azure ML: MSI_SECRET never appears", async () => {
    server = await startTokenServer(echo(kind));
    vi.stubEnv("MSI_ENDPOINT", `${server.origin}/msi/token`);
    vi.stubEnv("MSI_SECRET", SECRET);
    const error = await new AzureMLCredential({ retryOptions: { maxRetries: 0 } })
      .getToken("https://vault.azure.net")
      .catch((e: unknown) => e);
    expect(server.requests[0]!.headers["secret"]).toBe(SECRET);
    expectAbsent(error, SECRET);
  });

  it("workload identity: the federated assertion never appears", async () => {
    server = await startTokenServer(echo(kind));
    const tokenFilePath = path.join(dir, "token");
    writeFileSync(tokenFilePath, ASSERTION);
    const error = await new WorkloadIdentityCredential({
      endpoint: `${server.origin}/tenant/oauth2/v2.0/token`,
      clientId: "0a1b2c3d-0000-0000-0000-000000000001",
      tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
      tokenFilePath,
      retryOptions: { maxRetries: 0 },
    })
      .getToken("https://vault.azure.net")
      .catch((e: unknown) => e);
    expect(server.requests[0]!.body).toContain(ASSERTION);
    expectAbsent(error, ASSERTION);
  });
});
