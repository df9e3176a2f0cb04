// AZURE_LOG_LEVEL=info gives one line per token acquired, retry, background refresh and chain decision;
// the request and response dumps (core-rest-pipeline's logPolicy) appear only at verbose, as the README says.
import { afterEach, describe, expect, it, vi } from "vitest";
import { ImdsCredential, ManagedIdentityChainCredential } from "../../src/index.js";
import { type AzureLogCapture, captureAzureLogs } from "../helpers/azureLogCapture.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const NO_AGENT = "/nonexistent/azcmagent/bin/himds";
/** logPolicy's dumps: "Request: {…}", "Response status code: …". */
const DUMP = /Request: |Response status code|Response: /;

let logs: AzureLogCapture | undefined;
const servers: TokenServer[] = [];
afterEach(async () => {
  logs?.stop();
  logs = undefined;
  vi.useRealTimers();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A loopback IMDS that answers the first token request 500 (one retry), then tokens; the probe 400. */
async function imdsWithOneFailure(): Promise<TokenServer> {
  let tokenRequests = 0;
  const server = await startTokenServer((request) => {
    if (request.headers["metadata"] === undefined) return { status: 400, body: { error: "invalid_request" } };
    return ++tokenRequests === 1 ? { status: 500, body: { error: "server_error" } } : tokenAnswer();
  });
  servers.push(server);
  return server;
}

const ours = (lines: string[]): string[] => lines.filter((line) => line.startsWith("azure:managed-identity"));

describe("log levels", () => {
  it("info: one line for the retry and one for the token acquired, no request or response dump", async () => {
    const server = await imdsWithOneFailure();
    logs = captureAzureLogs("info");
    await new ImdsCredential({ endpoint: server.origin, retryOptions: { retryDelayInMs: 1 } }).getToken(SCOPE);
    expect(logs.lines.filter((line) => DUMP.test(line))).toEqual([]);
    const lines = ours(logs.lines);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^azure:managed-identity:info .*status 500; retry 1 in \d+ ms/);
    expect(lines[1]).toMatch(/^azure:managed-identity:info IMDS: token for https:\/\/vault\.azure\.net /);
  });

  it("info: the chain's decision is one line (the probe's detail is verbose), then the token's", async () => {
    const server = await imdsWithOneFailure();
    logs = captureAzureLogs("info");
    const credential = new ManagedIdentityChainCredential({
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: server.origin },
      arcAgentPath: NO_AGENT,
      retryOptions: { retryDelayInMs: 1 },
    });
    await credential.getToken(SCOPE);
    expect(logs.lines.filter((line) => DUMP.test(line))).toEqual([]);
    const lines = ours(logs.lines);
    expect(lines.filter((line) => line.includes("ManagedIdentityChainCredential: using"))).toHaveLength(1);
    expect(lines.filter((line) => line.includes("IMDS probe"))).toEqual([]);
    expect(lines).toHaveLength(3); // the decision, the retry, the token
  });

  it("verbose: the request and response dumps too", async () => {
    const server = await imdsWithOneFailure();
    logs = captureAzureLogs("verbose");
    await new ImdsCredential({ endpoint: server.origin, retryOptions: { retryDelayInMs: 1 } }).getToken(SCOPE);
    const dumps = logs.lines.filter((line) => DUMP.test(line));
    expect(dumps.length).toBeGreaterThanOrEqual(4); // two requests, two responses
    expect(dumps.every((line) => line.startsWith("azure:managed-identity:verbose"))).toBe(true);
  });
});
