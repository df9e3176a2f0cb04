import https from "node:https";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AuthenticationError,
  CredentialUnavailableError,
  ManagedIdentityChainCredential,
  ServiceFabricCredential,
} from "../../src/index.js";
import { makePinnedCertificate, type PinnedCertificate } from "../helpers/selfSignedCertificate.js";

const SCOPE = "https://vault.azure.net/.default";
const SECRET = "sf-secret-header-value";
const TOKEN_PATH = "/metadata/identity/oauth2/token";

interface SeenRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
}

/** A real HTTPS server on loopback with the cluster's self-signed certificate. */
async function startHttpsTokenServer(certificate: PinnedCertificate) {
  const requests: SeenRequest[] = [];
  const server = https.createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    requests.push({
      method: req.method ?? "",
      url: new URL(req.url ?? "/", "https://127.0.0.1"),
      headers: req.headers,
    });
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        token_type: "Bearer",
        access_token: "sf-token",
        expires_on: Math.floor(Date.now() / 1000) + 3600,
        resource: "https://vault.azure.net",
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}${TOKEN_PATH}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A raw TLS server that records every decrypted byte a client sends after the handshake, and
 * when each TCP connection has closed: proof of what reached the server, at the lowest level.
 */
async function startRecordingTlsServer(certificate: PinnedCertificate) {
  let received = Buffer.alloc(0);
  let connections = 0;
  const closed: Promise<void>[] = [];
  const server = tls.createServer({ key: certificate.key, cert: certificate.cert }, (socket) => {
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
    });
    socket.on("error", () => undefined);
  });
  server.on("connection", (socket) => {
    connections++;
    closed.push(new Promise((resolve) => socket.once("close", () => resolve())));
  });
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}${TOKEN_PATH}`,
    received: () => received,
    connections: () => connections,
    allClosed: () => Promise.all(closed),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function stubServiceFabric(endpoint: string, thumbprint: string): void {
  vi.stubEnv("IDENTITY_ENDPOINT", endpoint);
  vi.stubEnv("IDENTITY_HEADER", SECRET);
  vi.stubEnv("IDENTITY_SERVER_THUMBPRINT", thumbprint);
}

describe("ServiceFabricCredential", () => {
  let certificate: PinnedCertificate;
  let other: PinnedCertificate;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(() => {
    certificate = makePinnedCertificate();
    other = makePinnedCertificate();
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await Promise.all(cleanups.splice(0).map((close) => close()));
  });

  it("sends the exact request over TLS to the self-signed certificate whose SHA-1 thumbprint is IDENTITY_SERVER_THUMBPRINT", async () => {
    const server = await startHttpsTokenServer(certificate);
    cleanups.push(server.close);
    // Lower case with colons: the spelling does not matter.
    stubServiceFabric(server.endpoint, certificate.sha1.toLowerCase());

    const token = await new ServiceFabricCredential().getToken(SCOPE);

    expect(token.token).toBe("sf-token");
    expect(server.requests).toHaveLength(1);
    const [seen] = server.requests;
    expect(seen!.method).toBe("GET");
    expect(seen!.url.pathname).toBe(TOKEN_PATH);
    // api-version 2020-05-01, as MSAL.NET 4.83+ sends (ServiceFabricManagedIdentitySource.ServiceFabricMsiApiVersion).
    expect(Object.fromEntries(seen!.url.searchParams)).toEqual({
      "api-version": "2020-05-01",
      resource: "https://vault.azure.net",
    });
    expect(seen!.headers["secret"]).toBe(SECRET);
    expect(seen!.headers["metadata"]).toBeUndefined();
  });

  it("accepts a SHA-256 thumbprint without colons", async () => {
    const server = await startHttpsTokenServer(certificate);
    cleanups.push(server.close);
    stubServiceFabric(server.endpoint, certificate.sha256.replace(/:/g, ""));

    await expect(new ServiceFabricCredential().getToken(SCOPE)).resolves.toMatchObject({ token: "sf-token" });
  });

  it("refuses a certificate with another thumbprint after the handshake, before a byte of the request (and its secret) is sent", async () => {
    const server = await startRecordingTlsServer(certificate);
    cleanups.push(server.close);
    stubServiceFabric(server.endpoint, other.sha1);

    // Short tries: if anything were sent, this silent server would make the test fail fast, not hang.
    const credential = new ServiceFabricCredential({ retryOptions: { tryTimeoutInMs: 1000, maxRetries: 0 } });
    const error = await credential.getToken(SCOPE).catch((e: unknown) => e);
    await server.allClosed();

    expect(server.received().toString("latin1")).toBe("");
    expect(server.connections()).toBe(1); // reached the server, and not retried
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain(`has the thumbprint ${certificate.sha1.replace(/:/g, "")}`);
    expect((error as Error).message).not.toContain(SECRET);
  });

  it("refuses the wrong certificate the same way when nock's interceptor is not loaded, as in production", async () => {
    nock.restore();
    try {
      const server = await startRecordingTlsServer(certificate);
      cleanups.push(server.close);
      stubServiceFabric(server.endpoint, other.sha1);

      const credential = new ServiceFabricCredential({ retryOptions: { tryTimeoutInMs: 1000, maxRetries: 0 } });
      const error = await credential.getToken(SCOPE).catch((e: unknown) => e);
      await server.allClosed();

      expect(server.received().toString("latin1")).toBe("");
      expect((error as Error).message).toMatch(/not the expected/);
    } finally {
      nock.activate();
    }
  });

  it("gets the token with the right certificate when nock's interceptor is not loaded", async () => {
    nock.restore();
    try {
      const server = await startHttpsTokenServer(certificate);
      cleanups.push(server.close);
      stubServiceFabric(server.endpoint, certificate.sha1);
      await expect(new ServiceFabricCredential().getToken(SCOPE)).resolves.toMatchObject({ token: "sf-token" });
      expect(server.requests[0]!.headers["secret"]).toBe(SECRET);
    } finally {
      nock.activate();
    }
  });

  // -1 and Infinity are a TypeError at construction now (test/hardening/numericOptions.spec.ts).
  it.each([0])("takes tryTimeoutInMs %s (no bound) for the handshake too", async (tryTimeoutInMs) => {
    const server = await startHttpsTokenServer(certificate);
    cleanups.push(server.close);
    stubServiceFabric(server.endpoint, certificate.sha1);
    await expect(
      new ServiceFabricCredential({ retryOptions: { tryTimeoutInMs } }).getToken(SCOPE),
    ).resolves.toMatchObject({ token: "sf-token" });
  });

  it("does not weaken TLS for anyone else: a plain https request to the same server still fails verification", async () => {
    const server = await startHttpsTokenServer(certificate);
    cleanups.push(server.close);
    stubServiceFabric(server.endpoint, certificate.sha1);
    await new ServiceFabricCredential().getToken(SCOPE);

    const plain = await new Promise<Error>((resolve) => {
      const req = https.get(server.endpoint, () => resolve(new Error("unexpectedly accepted")));
      req.on("error", resolve);
    });
    expect((plain as NodeJS.ErrnoException).code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
  });

  it("is unavailable, sending nothing, when a Service Fabric variable is missing or empty", async () => {
    const server = await startRecordingTlsServer(certificate);
    cleanups.push(server.close);
    stubServiceFabric(server.endpoint, certificate.sha1);
    vi.stubEnv("IDENTITY_SERVER_THUMBPRINT", "");

    const error = await new ServiceFabricCredential().getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect((error as Error).message).toContain("IDENTITY_SERVER_THUMBPRINT is not set");
    expect(server.connections()).toBe(0);
  });

  // The cluster's token service selects a user-assigned identity by `principalId` only and silently ignores
  // client_id / object_id / msi_res_id, answering for the default identity: AzureAD/microsoft-authentication-
  // library-for-dotnet issue 6065, fixed in pull request 6069 (MSAL.NET 4.85).
  it("sends a user-assigned identity's objectId as principalId, and nothing else names it", async () => {
    const server = await startHttpsTokenServer(certificate);
    cleanups.push(server.close);
    stubServiceFabric(server.endpoint, certificate.sha1);

    await new ServiceFabricCredential({ objectId: "4f0b7c2a-1d3e-4a5b-9c8d-7e6f5a4b3c2d" }).getToken(SCOPE);

    expect(Object.fromEntries(server.requests[0]!.url.searchParams)).toEqual({
      "api-version": "2020-05-01",
      resource: "https://vault.azure.net",
      principalId: "4f0b7c2a-1d3e-4a5b-9c8d-7e6f5a4b3c2d",
    });
  });

  it("ManagedIdentityChainCredential passes objectId on to Service Fabric as principalId", async () => {
    const server = await startHttpsTokenServer(certificate);
    cleanups.push(server.close);
    const env = {
      IDENTITY_ENDPOINT: server.endpoint,
      IDENTITY_HEADER: SECRET,
      IDENTITY_SERVER_THUMBPRINT: certificate.sha1,
    };

    const chain = new ManagedIdentityChainCredential({ env, objectId: "4f0b7c2a-1d3e-4a5b-9c8d-7e6f5a4b3c2d" });
    await expect(chain.getToken(SCOPE)).resolves.toMatchObject({ token: "sf-token" });

    expect(server.requests[0]!.url.searchParams.get("principalId")).toBe("4f0b7c2a-1d3e-4a5b-9c8d-7e6f5a4b3c2d");
    expect(server.requests[0]!.url.searchParams.get("api-version")).toBe("2020-05-01");
  });

  it.each(["clientId", "resourceId"])(
    "refuses %s at construction with a TypeError that names objectId, sending nothing",
    async (kind) => {
      const server = await startRecordingTlsServer(certificate);
      cleanups.push(server.close);
      stubServiceFabric(server.endpoint, certificate.sha1);
      const construct = () => new ServiceFabricCredential({ [kind]: "abc" } as never);
      expect(construct).toThrow(TypeError);
      expect(construct).toThrow(
        new RegExp(`Service Fabric cannot use the user-assigned identity with ${kind} abc: .*objectId`),
      );
      expect(server.connections()).toBe(0);
    },
  );

  // The environment's values are the host's configuration (issue 21): "misconfigured" at getToken, nothing sent;
  // the endpoint option's stays the caller's TypeError at construction.
  it("refuses a plain http endpoint and a malformed thumbprint: misconfigured from the environment, TypeError from the option", async () => {
    stubServiceFabric("https://127.0.0.1:2377/metadata/identity/oauth2/token", certificate.sha1);
    vi.stubEnv("IDENTITY_ENDPOINT", "http://127.0.0.1:2377/metadata/identity/oauth2/token");
    await expect(new ServiceFabricCredential().getToken(SCOPE)).rejects.toMatchObject({
      name: "AuthenticationError",
      code: "misconfigured",
      message: expect.stringMatching(/IDENTITY_ENDPOINT must be an https URL/),
    });
    expect(() => new ServiceFabricCredential({ endpoint: "http://127.0.0.1:2377/x" })).toThrow(TypeError);

    stubServiceFabric("https://127.0.0.1:2377/metadata/identity/oauth2/token", "not-a-thumbprint");
    await expect(new ServiceFabricCredential().getToken(SCOPE)).rejects.toMatchObject({
      code: "misconfigured",
      message: expect.stringMatching(/not a certificate thumbprint/),
    });
  });

  it("turns the endpoint's nested error answer into an AuthenticationError with its words", async () => {
    const server = https.createServer({ key: certificate.key, cert: certificate.cert }, (_req, res) => {
      res.writeHead(401, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          error: { code: "SecretHeaderNotFound", message: "Secret is not found in the request headers." },
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    stubServiceFabric(`https://127.0.0.1:${(server.address() as AddressInfo).port}${TOKEN_PATH}`, certificate.sha1);

    const error = (await new ServiceFabricCredential().getToken(SCOPE).catch((e: unknown) => e)) as AuthenticationError;
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.statusCode).toBe(401);
    expect(error.errorResponse).toEqual({
      error: "SecretHeaderNotFound",
      errorDescription: "Secret is not found in the request headers.",
    });
  });
});

afterAll(() => vi.unstubAllEnvs());
