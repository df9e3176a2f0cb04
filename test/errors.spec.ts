// The errors' stable codes (src/errors.ts): each one set where the error is made, seen here through the
// public credentials on loopback servers. The doctor and users branch on them, never on message text.
import { promises as fs } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AppServiceCredential,
  ArcCredential,
  AuthenticationError,
  CredentialUnavailableError,
  ImdsCredential,
  ManagedIdentityChainCredential,
  WorkloadIdentityCredential,
} from "../src/index.js";
import { useOnlyEnv } from "./helpers/env.js";
import { type Answer, startTokenServer, type TokenServer } from "./helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const NO_RETRIES = { maxRetries: 0 };

let servers: TokenServer[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function serve(answer: Answer | ((raw: { res: http.ServerResponse }) => undefined)): Promise<string> {
  const server = await startTokenServer((_, raw) => (typeof answer === "function" ? answer(raw) : answer));
  servers.push(server);
  return server.origin;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe("CredentialUnavailableError.code", () => {
  it("no-endpoint: the environment names no endpoint for the source", async () => {
    useOnlyEnv({});
    const error = await failure(new AppServiceCredential().getToken(SCOPE));
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error).toMatchObject({ name: "CredentialUnavailableError", code: "no-endpoint" });
  });

  it("unreachable: nothing listens at the endpoint", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const error = await failure(new ImdsCredential({ endpoint }).getToken(SCOPE));
    expect(error).toMatchObject({ name: "CredentialUnavailableError", code: "unreachable" });
  });

  it("no-identity: IMDS's 400 'Identity not found'", async () => {
    const endpoint = await serve({
      status: 400,
      body: { error: "invalid_request", error_description: "Identity not found" },
    });
    const error = await failure(new ImdsCredential({ endpoint }).getToken(SCOPE));
    expect(error).toMatchObject({ name: "CredentialUnavailableError", code: "no-identity" });
  });

  it("docker-desktop: Docker Desktop's 403 'unreachable' in IMDS's place", async () => {
    const endpoint = await serve({
      status: 403,
      body: "connecting to 169.254.169.254:80: connecting to 169.254.169.254:80: dial tcp 169.254.169.254:80: connectex: A socket operation was attempted to an unreachable network.",
    });
    const error = await failure(new ImdsCredential({ endpoint }).getToken(SCOPE));
    expect(error).toMatchObject({ name: "CredentialUnavailableError", code: "docker-desktop" });
  });

  it("not-found: the chain finds no source on this machine", async () => {
    const env = { AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${await closedPort()}` };
    const chain = new ManagedIdentityChainCredential({ env, arcAgentPath: path.join(os.tmpdir(), "no-such-himds") });
    const error = await failure(chain.getToken(SCOPE));
    expect(error).toMatchObject({ name: "CredentialUnavailableError", code: "not-found" });
  });

  it("identity-not-supported: the source the chain found takes no user-assigned identity", async () => {
    const env = { MSI_ENDPOINT: `${await serve({ status: 500 })}/oauth2/token` };
    const chain = new ManagedIdentityChainCredential({ env, clientId: "00000000-0000-0000-0000-000000000001" });
    const error = await failure(chain.getToken(SCOPE));
    expect(error).toMatchObject({ name: "CredentialUnavailableError", code: "identity-not-supported" });
    expect(servers[0]!.requests).toHaveLength(0);
  });

  it("defaults to 'unavailable' when made outside this package, and the name stays what chains look for", () => {
    const error = new CredentialUnavailableError("not here");
    expect(error).toMatchObject({ name: "CredentialUnavailableError", code: "unavailable", message: "not here" });
  });
});

describe("AuthenticationError.code", () => {
  it("http-status: an error status after the retries, with the status and the endpoint's words", async () => {
    const endpoint = await serve({ status: 500, body: { error: "server_error", error_description: "down" } });
    const error = await failure(new ImdsCredential({ endpoint, retryOptions: NO_RETRIES }).getToken(SCOPE));
    expect(error).toMatchObject({
      name: "AuthenticationError",
      code: "http-status",
      statusCode: 500,
      errorResponse: { error: "server_error", errorDescription: "down" },
    });
  });

  it("bad-response: a 200 that is not a token", async () => {
    const endpoint = await serve({ status: 200, body: "<html>captive portal</html>" });
    const error = await failure(new ImdsCredential({ endpoint }).getToken(SCOPE));
    expect(error).toMatchObject({ name: "AuthenticationError", code: "bad-response", statusCode: 200 });
  });

  it("timeout: no answer within the caller's timeout", async () => {
    const endpoint = await serve(() => undefined); // accepts, never answers
    const error = await failure(
      new ImdsCredential({ endpoint, retryOptions: NO_RETRIES }).getToken(SCOPE, { requestOptions: { timeout: 100 } }),
    );
    expect(error).toMatchObject({ name: "AuthenticationError", code: "timeout" });
  });

  it("network: the connection is reset", async () => {
    const endpoint = await serve(({ res }) => {
      res.socket?.destroy();
      return undefined;
    });
    const error = await failure(new ImdsCredential({ endpoint, retryOptions: NO_RETRIES }).getToken(SCOPE));
    expect(error).toMatchObject({ name: "AuthenticationError", code: "network" });
  });

  it("misconfigured: a header variable holding a line break; nothing is sent", async () => {
    const endpoint = await serve({ status: 500 });
    useOnlyEnv({ IDENTITY_ENDPOINT: `${endpoint}/msi/token`, IDENTITY_HEADER: "abc\ndef" });
    const error = await failure(new AppServiceCredential().getToken(SCOPE));
    expect(error).toMatchObject({ name: "AuthenticationError", code: "misconfigured" });
    expect(servers[0]!.requests).toHaveLength(0);
  });

  it("federated-token-file: workload identity's token file cannot be read", async () => {
    const authorityHost = await serve({ status: 500 });
    const credential = new WorkloadIdentityCredential({
      clientId: "00000000-0000-0000-0000-000000000001",
      tenantId: "contoso.onmicrosoft.com",
      tokenFilePath: path.join(await fs.mkdtemp(path.join(os.tmpdir(), "mi-codes-")), "missing-token"),
      authorityHost,
    });
    const error = await failure(credential.getToken(SCOPE));
    expect(error).toMatchObject({ name: "AuthenticationError", code: "federated-token-file" });
  });

  it("arc-challenge-invalid: the Arc endpoint answers 401 without a Basic realm", async () => {
    const endpoint = await serve({ status: 401, headers: { "WWW-Authenticate": "Bearer" } });
    const error = await failure(new ArcCredential({ endpoint }).getToken(SCOPE));
    expect(error).toMatchObject({ name: "AuthenticationError", code: "arc-challenge-invalid", statusCode: 401 });
  });

  it("defaults to 'http-status' with a status and to 'failed' without one, when made outside this package", () => {
    expect(new AuthenticationError("x", 503)).toMatchObject({ name: "AuthenticationError", code: "http-status" });
    expect(new AuthenticationError("x")).toMatchObject({ name: "AuthenticationError", code: "failed" });
    expect(new AuthenticationError("x", 200, undefined, "bad-response").code).toBe("bad-response");
  });
});
