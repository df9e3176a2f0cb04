// Connections that break, hang or are refused, against real loopback sockets (real timers, short bounds).
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  createDefaultHttpClient,
  createEmptyPipeline,
  createPipelineRequest,
  RestError,
} from "@azure/core-rest-pipeline";
import { afterEach, describe, expect, it } from "vitest";
import {
  ArcCredential,
  AuthenticationError,
  CloudShellCredential,
  CredentialUnavailableError,
  ImdsCredential,
  type ManagedIdentityRetryOptions,
  responseBodyPolicy,
  tryTimeoutPolicy,
} from "../../src/index.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";
import { tryRecorder } from "../helpers/tryRecorder.js";
import { withoutNockInterceptor } from "../helpers/withoutNock.js";

const SCOPE = "https://management.azure.com/.default";
const servers: TokenServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(handler: Parameters<typeof startTokenServer>[0]): Promise<TokenServer> {
  const started = await startTokenServer(handler);
  servers.push(started);
  return started;
}

/** A loopback port that was just closed: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function imds(origin: string, retryOptions: ManagedIdentityRetryOptions) {
  const recorder = tryRecorder();
  const credential = new ImdsCredential({
    endpoint: origin,
    retryOptions,
    additionalPolicies: [{ policy: recorder.policy, position: "perRetry" }],
  });
  return { credential, recorder };
}

describe("a reset connection", () => {
  it("is retried, and the retry gets the token", async () => {
    const endpoint = await server((_, { req }) => {
      if (endpoint.requests.length === 1) {
        req.socket.destroy();
        return undefined;
      }
      return tokenAnswer("after-reset");
    });
    const { credential, recorder } = imds(endpoint.origin, { retryDelayInMs: 1 });
    expect((await credential.getToken(SCOPE)).token).toBe("after-reset");
    expect(endpoint.requests).toHaveLength(2);
    expect(recorder.tries.map((t) => t.error ?? t.status)).toEqual(["ECONNRESET", 200]);
  });

  it("is retried when it breaks in the middle of the answer's body", async () => {
    const endpoint = await server((_, { res }) => {
      if (endpoint.requests.length > 1) return tokenAnswer("after-truncation");
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "400" });
      res.write('{"access_token":"trunc', () => res.socket?.destroy());
      return undefined;
    });
    const { credential, recorder } = imds(endpoint.origin, { retryDelayInMs: 1 });
    expect((await credential.getToken(SCOPE)).token).toBe("after-truncation");
    expect(recorder.tries.map((t) => t.error ?? t.status)).toEqual(["ECONNRESET", 200]);
  });

  it("ends in AuthenticationError when every try is reset", async () => {
    const endpoint = await server((_, { req }) => {
      req.socket.destroy();
      return undefined;
    });
    const { credential } = imds(endpoint.origin, { retryDelayInMs: 1, maxRetries: 2 });
    const error = await credential.getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain("ECONNRESET");
    expect(endpoint.requests).toHaveLength(3);
  });
});

describe("a per-try timeout", () => {
  it("abandons a try that gets no answer, retries it, and ends in AuthenticationError", async () => {
    const endpoint = await server(() => undefined); // accepts, reads the request, never answers
    const { credential, recorder } = imds(endpoint.origin, { tryTimeoutInMs: 200, retryDelayInMs: 1, maxRetries: 2 });
    const error = await credential.getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/no complete answer/);
    expect(recorder.tries.map((t) => t.error)).toEqual(["TRY_TIMEOUT", "TRY_TIMEOUT", "TRY_TIMEOUT"]);
    expect(endpoint.requests).toHaveLength(3);
  });

  it("gets the token when a later try is answered", async () => {
    const endpoint = await server(() => (endpoint.requests.length === 1 ? undefined : tokenAnswer("second-try")));
    const { credential } = imds(endpoint.origin, { tryTimeoutInMs: 200, retryDelayInMs: 1 });
    expect((await credential.getToken(SCOPE)).token).toBe("second-try");
    expect(endpoint.requests).toHaveLength(2);
  });

  it("also bounds an answer that sends its headers and then hangs in the body", async () => {
    const endpoint = await server((_, { res }) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "500" });
      res.write('{"access_token":"');
      return undefined;
    });
    const { credential, recorder } = imds(endpoint.origin, { tryTimeoutInMs: 200, retryDelayInMs: 1, maxRetries: 1 });
    const error = await withoutNockInterceptor(() => credential.getToken(SCOPE).catch((e: unknown) => e));
    expect(error).toMatchObject({ name: "AuthenticationError", message: expect.stringMatching(/no complete answer/) });
    expect(recorder.tries.map((t) => t.error)).toEqual(["TRY_TIMEOUT", "TRY_TIMEOUT"]);
  });

  it("tryTimeoutPolicy alone bounds the body read and closes the connection", async () => {
    let closed = false;
    const endpoint = await server((_, { res }) => {
      res.on("close", () => (closed = true));
      res.writeHead(200, { "Content-Length": "500" });
      res.write("{");
      return undefined;
    });
    const pipeline = createEmptyPipeline();
    pipeline.addPolicy(tryTimeoutPolicy(150));
    pipeline.addPolicy(responseBodyPolicy());
    const request = createPipelineRequest({ url: endpoint.origin, allowInsecureConnection: true });
    const error = await withoutNockInterceptor(() =>
      pipeline.sendRequest(createDefaultHttpClient(), request).catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(RestError);
    expect((error as RestError).code).toBe("TRY_TIMEOUT");
    await expect.poll(() => closed).toBe(true);
    // The caller's own signal is given back to the request.
    expect(request.abortSignal).toBeUndefined();
  });
});

describe.each([
  ["ImdsCredential", ImdsCredential, ""],
  ["ArcCredential", ArcCredential, "/metadata/identity/oauth2/token"],
  ["CloudShellCredential", CloudShellCredential, "/oauth2/token"],
] as const)("%s on a refused endpoint", (_, Credential, path) => {
  it("fails at once with CredentialUnavailableError after exactly one attempt", async () => {
    const port = await closedPort();
    const recorder = tryRecorder();
    const credential = new Credential({
      endpoint: `http://127.0.0.1:${port}${path}`,
      additionalPolicies: [{ policy: recorder.policy, position: "perRetry" }],
    });
    const error = await credential.getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect((error as Error).name).toBe("CredentialUnavailableError");
    expect((error as Error).message).toContain("ECONNREFUSED");
    expect(recorder.tries).toEqual([expect.objectContaining({ error: "ECONNREFUSED" })]);
  });
});
