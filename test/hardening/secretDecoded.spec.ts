// Secrets never come back, in any spelling (issue 20 §4): the Arc challenge file's content is a request secret like
// the others; every string is scrubbed after it is decoded (an agent echoing it JSON-escaped, `\u0061…`, `\/`) and
// before it is cut to 2,000 characters; verbose logs mask the user info of an endpoint URL.
import { AzureLogger, type AzureLogLevel, getLogLevel, setLogLevel } from "@azure/logger";
import { inspect, format } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ArcCredential, AuthenticationError, ImdsCredential } from "../../src/index.js";
import { makeTokenFolder, newSecret, startHimdsAgent, type TokenFolder, writeKey } from "../helpers/himdsAgent.js";
import { startTokenServer, type TokenServer } from "../helpers/tokenServer.js";
import path from "node:path";

/** Every character as `\uXXXX`, and `/` as `\/`: what a JSON encoder may legally send. */
const escapeAll = (text: string): string =>
  [...text].map((c) => (c === "/" ? "\\/" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)).join("");

let folder: TokenFolder;
let server: TokenServer | undefined;
let lines: string[];
let originalLog: typeof AzureLogger.log;
let level: AzureLogLevel | undefined;
beforeEach(async () => {
  folder = await makeTokenFolder();
  lines = [];
  level = getLogLevel();
  originalLog = AzureLogger.log;
  AzureLogger.log = (...args: unknown[]) => lines.push(format(...args));
  setLogLevel("verbose");
});
afterEach(async () => {
  AzureLogger.log = originalLog;
  setLogLevel(level);
  await server?.close();
  server = undefined;
  await folder.remove();
});

function expectAbsent(error: unknown, secret: string): void {
  expect(error).toBeInstanceOf(AuthenticationError);
  const e = error as AuthenticationError;
  const everything = [e.message, e.stack ?? "", inspect(e, { depth: Infinity }), JSON.stringify(e.errorResponse ?? {})];
  // Not whole, and no 12-character piece of it either (a cut secret is still a leak).
  for (const text of everything) {
    for (let i = 0; i + 12 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 12));
  }
  for (const line of lines) expect(line).not.toContain(secret);
}

/** An Arc agent whose answer to the file's content is `body(secret)` with status 400. */
async function arcEchoing(body: (secret: string) => string): Promise<{ error: unknown; secret: string }> {
  const secret = newSecret();
  const key = await writeKey(path.join(folder.folder, "challenge.key"), secret);
  const agent = await startHimdsAgent({
    challenge: `Basic realm=${key}`,
    secret,
    answer: () => ({ status: 400, headers: { "Content-Type": "application/json" }, body: body(secret) }),
  });
  server = agent;
  const error = await new ArcCredential({ endpoint: agent.endpoint, tokenFolder: folder.folder })
    .getToken("https://vault.azure.net")
    .catch((e: unknown) => e);
  return { error, secret };
}

describe("the Azure Arc challenge file's content", () => {
  it("echoed JSON-escaped (\\u0061…, \\/) never reaches the message, the stack or errorResponse", async () => {
    const { error, secret } = await arcEchoing(
      (s) => `{"error":"invalid_request","error_description":"got ${escapeAll(s)}","correlation_id":"${escapeAll(s)}"}`,
    );
    expectAbsent(error, secret);
    expect((error as Error).message).toContain("(the Azure Arc challenge file's content, not shown)");
  });

  it("escaped and placed across the 2,000-character cut: scrubbed before it is cut", async () => {
    const { error, secret } = await arcEchoing(
      (s) => `{"error":"invalid_request","error_description":"${"x".repeat(1985)} ${escapeAll(s)}"}`,
    );
    expectAbsent(error, secret);
  });

  it("echoed in a body that is not JSON as a whole (cut, or text around JSON), JSON-escaped", async () => {
    const { error, secret } = await arcEchoing((s) => `upstream said: {"secret":"${escapeAll(s)}"`);
    expectAbsent(error, secret);
  });
});

describe("verbose logs", () => {
  it("mask the user info of an endpoint URL (http://svc:Pa55w0rd@127.0.0.1/…), as the doctor does", async () => {
    server = await startTokenServer(() => ({ status: 500, body: { error: "x" } }));
    const endpoint = new URL(server.origin);
    endpoint.username = "svc";
    endpoint.password = "Pa55w0rd";
    await new ImdsCredential({ endpoint: endpoint.href, retryOptions: { maxRetries: 0 } })
      .getToken("https://vault.azure.net")
      .catch(() => undefined);
    const requests = lines.filter((line) => line.includes("Request:"));
    expect(requests.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain("Pa55w0rd");
    expect(requests.join("\n")).toContain("****@127.0.0.1");
  });
});
