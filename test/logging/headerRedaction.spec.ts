// With AZURE_LOG_LEVEL=verbose, every request and response header value not on an allow-list is logged as
// REDACTED. Before, response headers were logged whole: core-rest-pipeline's sanitizer redacts only a nested
// `headers` key, and the response's headers were logged at the top level.
import { AzureLogger, type AzureLogLevel, getLogLevel, setLogLevel } from "@azure/logger";
import { format } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AppServiceCredential, ImdsCredential } from "../../src/index.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SECRET = "9f8e7d6c-5b4a-4321-8fed-cba987654321";
let lines: string[];
let originalLog: typeof AzureLogger.log;
let level: AzureLogLevel | undefined;
let server: TokenServer | undefined;
beforeEach(() => {
  lines = [];
  level = getLogLevel();
  originalLog = AzureLogger.log;
  AzureLogger.log = (...args: unknown[]) => lines.push(format(...args));
  setLogLevel("verbose");
});
afterEach(async () => {
  AzureLogger.log = originalLog;
  setLogLevel(level);
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

describe("verbose request and response logs", () => {
  it("show response headers off the allow-list as REDACTED (a cookie, an echoed secret), allowed ones as they are", async () => {
    server = await startTokenServer(() => ({
      ...tokenAnswer("t"),
      headers: { "Set-Cookie": `session=${SECRET}`, "X-Echoed-Secret": SECRET, "x-ms-request-id": "req-123" },
    }));
    await new ImdsCredential({ endpoint: server.origin }).getToken("https://vault.azure.net");
    const log = lines.join("\n");
    expect(log).toMatch(/Response status code: 200/);
    expect(log).not.toContain(SECRET);
    expect(log).toMatch(/"x-echoed-secret": "REDACTED"/i);
    expect(log).toMatch(/"set-cookie": "REDACTED"/i);
    expect(log).toContain("req-123");
  });

  it("never show a secret request header, even when the application allows it by name", async () => {
    server = await startTokenServer(() => tokenAnswer("t"));
    vi.stubEnv("IDENTITY_ENDPOINT", `${server.origin}/msi/token`);
    vi.stubEnv("IDENTITY_HEADER", SECRET);
    await new AppServiceCredential({
      loggingOptions: { additionalAllowedHeaderNames: ["X-IDENTITY-HEADER", "Secret", "Authorization"] },
    }).getToken("https://vault.azure.net");
    const log = lines.join("\n");
    expect(log).toMatch(/Request: /);
    expect(log).not.toContain(SECRET);
    expect(log).toMatch(/"x-identity-header": "REDACTED"/i);
  });
});
