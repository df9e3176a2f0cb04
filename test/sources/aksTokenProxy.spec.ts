// The AKS token proxy (identity bindings), as @azure/identity 4.14's WorkloadIdentityCredential with
// enableAzureProxy (Azure/azure-sdk-for-js, sdk/identity/identity/src/credentials/workloadIdentityCredential.ts:
// parseAndValidateCustomTokenProxy, createAksProxyClient, getTlsSettings; its errors TOKEN_PROXY_NOT_SET and
// CA_FILE_AND_DATA_EXCLUSIVE). The proxy here is a loopback HTTPS server whose certificate is valid only for the
// SNI name and anchored in a CA this process does not otherwise trust.
import { execFileSync } from "node:child_process";
import { promises as fs, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TLSSocket } from "node:tls";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSelfSignedCertificate } from "../../src/emulator/selfSignedCertificate.js";
import { AuthenticationError, CredentialUnavailableError, WorkloadIdentityCredential } from "../../src/index.js";
import { failure } from "../helpers/failure.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SNI = "token-proxy.aks-identity-binding.internal";
const SCOPE = "https://vault.azure.net/.default";

/** A certificate for the SNI name only, which is its own CA: trusted only when given as `ca`. */
const certificateForSni = () =>
  createSelfSignedCertificate({ commonName: SNI, subjectAltNames: [SNI], validityDays: 1 });

interface Seen {
  path: string;
  servername: string | false | null;
  form: Record<string, string>;
}

let dir: string;
let proxy: https.Server;
let seen: Seen[];
let proxyOrigin: string;
let authority: TokenServer;
let certificate: ReturnType<typeof certificateForSni>;
/** TCP connections the proxy accepted, and those that have closed since. */
let connections: { opened: number; closed: number };
/** While set, the proxy holds every answer until it resolves. */
let gate: Promise<void> | undefined;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "mi-aks-"));
  writeFileSync(path.join(dir, "token"), "federated-assertion");
  certificate = certificateForSni();
  seen = [];
  connections = { opened: 0, closed: 0 };
  gate = undefined;
  proxy = https.createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      await gate;
      seen.push({
        path: req.url ?? "",
        servername: (req.socket as TLSSocket).servername,
        form: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))),
      });
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ token_type: "Bearer", expires_in: 3599, access_token: `proxy-token-${seen.length}` }));
    });
  });
  proxy.on("tlsClientError", () => undefined);
  // This test's counter: a socket of an earlier test that closes late does not count here.
  const counter = connections;
  proxy.on("connection", (socket: Socket) => {
    counter.opened++;
    socket.once("close", () => counter.closed++);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyOrigin = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  // The authority host: in proxy mode nothing may reach it.
  authority = await startTokenServer(() => tokenAnswer("authority-token"));
});

afterEach(async () => {
  proxy.closeAllConnections();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await authority.close();
  rmSync(dir, { recursive: true, force: true });
});

function workloadEnv(extra: Record<string, string>): Record<string, string> {
  return {
    AZURE_TENANT_ID: TENANT,
    AZURE_CLIENT_ID: "client",
    AZURE_FEDERATED_TOKEN_FILE: path.join(dir, "token"),
    AZURE_AUTHORITY_HOST: authority.origin,
    ...extra,
  };
}

/** The credential reads process.env; each test sets exactly its variables for the construction and calls. */
async function withEnv<T>(env: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) {
    if (name.startsWith("AZURE_")) delete process.env[name];
  }
  Object.assign(process.env, env);
  try {
    return await run();
  } finally {
    process.env = saved;
  }
}

describe("enableAzureProxy with AZURE_KUBERNETES_TOKEN_PROXY", () => {
  it("sends the token request to the proxy's origin and path + /{tenant}/oauth2/v2.0/token over TLS, with the SNI name and the CA given, and nothing to the authority host", async () => {
    const env = workloadEnv({
      AZURE_KUBERNETES_TOKEN_PROXY: `${proxyOrigin}/identity-binding/`,
      AZURE_KUBERNETES_SNI_NAME: SNI,
      AZURE_KUBERNETES_CA_DATA: certificate.cert,
    });
    const token = await withEnv(env, () => new WorkloadIdentityCredential({ enableAzureProxy: true }).getToken(SCOPE));

    expect(token.token).toBe("proxy-token-1");
    expect(seen).toEqual([
      {
        path: `/identity-binding/${TENANT}/oauth2/v2.0/token`,
        servername: SNI,
        form: expect.objectContaining({ client_assertion: "federated-assertion", scope: SCOPE }),
      },
    ]);
    expect(authority.requests).toHaveLength(0);
  });

  it("checks the certificate against the SNI name: without AZURE_KUBERNETES_SNI_NAME the handshake fails (the certificate is not for 127.0.0.1)", async () => {
    const env = workloadEnv({ AZURE_KUBERNETES_TOKEN_PROXY: proxyOrigin, AZURE_KUBERNETES_CA_DATA: certificate.cert });
    const error = await withEnv(env, () =>
      failure(new WorkloadIdentityCredential({ enableAzureProxy: true }).getToken(SCOPE)),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/altnames|IP: 127\.0\.0\.1|ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(seen).toHaveLength(0);
    expect(authority.requests).toHaveLength(0);
  });

  it("trusts only the CA given: without one, the system's CAs refuse the proxy's certificate", async () => {
    const env = workloadEnv({ AZURE_KUBERNETES_TOKEN_PROXY: proxyOrigin, AZURE_KUBERNETES_SNI_NAME: SNI });
    const error = await withEnv(env, () =>
      failure(new WorkloadIdentityCredential({ enableAzureProxy: true }).getToken(SCOPE)),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/self.signed|unable to verify|SELF_SIGNED/i);
    expect(seen).toHaveLength(0);
  });

  it("reads AZURE_KUBERNETES_CA_FILE again when it changes (CA rotation), and keeps the last CAs while it is empty", async () => {
    const caFile = path.join(dir, "ca.pem");
    writeFileSync(caFile, certificate.cert);
    const env = workloadEnv({
      AZURE_KUBERNETES_TOKEN_PROXY: proxyOrigin,
      AZURE_KUBERNETES_SNI_NAME: SNI,
      AZURE_KUBERNETES_CA_FILE: caFile,
    });
    await withEnv(env, async () => {
      const credential = new WorkloadIdentityCredential({ enableAzureProxy: true });
      await expect(credential.getToken(SCOPE)).resolves.toMatchObject({ token: "proxy-token-1" });

      // Mid-rotation the file is empty: the CAs read before still serve.
      writeFileSync(caFile, "");
      await expect(credential.getToken(SCOPE, { claims: "{}" })).resolves.toMatchObject({ token: "proxy-token-2" });

      // The proxy moves to a certificate of a new CA; the file follows; the next request trusts the new CA only.
      const rotated = certificateForSni();
      proxy.setSecureContext({ key: rotated.key, cert: rotated.cert });
      proxy.closeAllConnections();
      writeFileSync(caFile, rotated.cert);
      await expect(credential.getToken(SCOPE, { claims: "{}" })).resolves.toMatchObject({ token: "proxy-token-3" });

      // Back to the old CA in the file: the rotated certificate is refused.
      writeFileSync(caFile, certificate.cert);
      const refused = await failure(credential.getToken(SCOPE, { claims: "{}" }));
      expect(refused).toBeInstanceOf(AuthenticationError);
    });
    expect(seen).toHaveLength(3);
    expect(authority.requests).toHaveLength(0);
  });

  it("without enableAzureProxy the proxy variables are ignored: Microsoft Entra at the authority host", async () => {
    const env = workloadEnv({ AZURE_KUBERNETES_TOKEN_PROXY: proxyOrigin, AZURE_KUBERNETES_SNI_NAME: SNI });
    await expect(withEnv(env, () => new WorkloadIdentityCredential().getToken(SCOPE))).resolves.toMatchObject({
      token: "authority-token",
    });
    expect(seen).toHaveLength(0);
  });
});

describe("misconfigured: CredentialUnavailableError, nothing sent", () => {
  it.each([
    [
      "the SNI name without the proxy",
      { AZURE_KUBERNETES_SNI_NAME: SNI },
      /AZURE_KUBERNETES_TOKEN_PROXY is not set, but AZURE_KUBERNETES_SNI_NAME is/,
    ],
    [
      "a CA file without the proxy",
      { AZURE_KUBERNETES_CA_FILE: "/ca.pem" },
      /AZURE_KUBERNETES_TOKEN_PROXY is not set, but AZURE_KUBERNETES_CA_FILE is/,
    ],
    [
      "both CA variables",
      { AZURE_KUBERNETES_TOKEN_PROXY: "PROXY", AZURE_KUBERNETES_CA_FILE: "/ca.pem", AZURE_KUBERNETES_CA_DATA: "x" },
      /exclusive/,
    ],
    ["a plain http proxy", { AZURE_KUBERNETES_TOKEN_PROXY: "http://127.0.0.1:1" }, /must be an https URL/],
    ["a proxy with a query", { AZURE_KUBERNETES_TOKEN_PROXY: "PROXY?a=b" }, /must not carry a query/],
    ["a proxy with a fragment", { AZURE_KUBERNETES_TOKEN_PROXY: "PROXY#f" }, /must not carry a fragment/],
    ["a proxy with user info", { AZURE_KUBERNETES_TOKEN_PROXY: "https://u:p@127.0.0.1:1" }, /user info/],
    [
      "CA data that holds no certificate",
      { AZURE_KUBERNETES_TOKEN_PROXY: "PROXY", AZURE_KUBERNETES_CA_DATA: "not a pem" },
      /holds no PEM certificate/,
    ],
  ])("%s", async (_, variables, message) => {
    const extra = Object.fromEntries(
      Object.entries(variables as Record<string, string>).map(([k, v]) => [k, v.replace("PROXY", proxyOrigin)]),
    );
    const error = await withEnv(workloadEnv(extra), () =>
      failure(new WorkloadIdentityCredential({ enableAzureProxy: true }).getToken(SCOPE)),
    );
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error.message).toMatch(message);
    expect(error).toMatchObject({ code: "token-proxy-misconfigured" });
    expect(seen).toHaveLength(0);
    expect(authority.requests).toHaveLength(0);
  });
});

// Issue 20 §2: one connection pool, bounded reads, IPv6.
describe("the proxy's connections and its CA file", () => {
  // nock's interceptor opens a connection of its own per request it passes through, whatever the agent; every
  // connection here is to loopback.
  beforeEach(() => nock.restore());
  afterEach(() => {
    nock.activate();
  });

  /** Waits until `check` holds, polling the event loop (the sockets close asynchronously). */
  async function eventually(check: () => boolean, what: string): Promise<void> {
    for (let turn = 0; turn < 500 && !check(); turn++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(check(), `${what} (connections ${JSON.stringify(connections)})`).toBe(true);
  }

  it("50 credentials, each used once and dropped, share one keep-alive connection to the proxy (each made its own)", async () => {
    const env = workloadEnv({
      AZURE_KUBERNETES_TOKEN_PROXY: proxyOrigin,
      AZURE_KUBERNETES_SNI_NAME: SNI,
      AZURE_KUBERNETES_CA_DATA: certificate.cert,
    });
    for (let i = 0; i < 50; i++) {
      await new WorkloadIdentityCredential({ enableAzureProxy: true, env }).getToken(SCOPE);
    }
    expect(seen).toHaveLength(50);
    expect(connections.opened).toBe(1);
  });

  it("a CA change releases the agent it replaces: the request in flight on it completes, then its connection closes", async () => {
    const caFile = path.join(dir, "ca.pem");
    writeFileSync(caFile, certificate.cert);
    const env = workloadEnv({
      AZURE_KUBERNETES_TOKEN_PROXY: proxyOrigin,
      AZURE_KUBERNETES_SNI_NAME: SNI,
      AZURE_KUBERNETES_CA_FILE: caFile,
    });
    // No retry: a request cut on the way would fail, not be sent again.
    const credential = new WorkloadIdentityCredential({ enableAzureProxy: true, env, retryOptions: { maxRetries: 0 } });
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const inFlight = credential.getToken(SCOPE);
    await eventually(() => connections.opened === 1, "the first request connected");

    // The CA rotates while the first request waits for its answer: the next request uses the new CA.
    const rotated = certificateForSni();
    proxy.setSecureContext({ key: rotated.key, cert: rotated.cert });
    writeFileSync(caFile, rotated.cert);
    const next = credential.getToken(SCOPE, { claims: "{}" });
    await eventually(() => connections.opened === 2, "the second request connected with the new CA");
    open();

    await expect(inFlight).resolves.toMatchObject({ token: expect.stringMatching(/^proxy-token-/) });
    await expect(next).resolves.toMatchObject({ token: expect.stringMatching(/^proxy-token-/) });
    // The old CA's connection is closed once its request is done; the new one stays for the next request.
    await eventually(() => connections.closed === 1, "the old CA's connection closed");
    await credential.getToken(SCOPE, { claims: "{}" });
    expect(connections).toEqual({ opened: 2, closed: 1 });
  });

  it("a FIFO as the CA file: refused at once, naming it; no getToken hangs and libuv's thread pool stays free", async () => {
    const caFile = path.join(dir, "ca.pem");
    execFileSync("mkfifo", [caFile]);
    const env = workloadEnv({
      AZURE_KUBERNETES_TOKEN_PROXY: proxyOrigin,
      AZURE_KUBERNETES_SNI_NAME: SNI,
      AZURE_KUBERNETES_CA_FILE: caFile,
    });
    // More calls than libuv's pool has threads (4): a blocking read of the FIFO would hold every one of them.
    const errors = await Promise.all(
      Array.from({ length: 6 }, () =>
        failure(new WorkloadIdentityCredential({ enableAzureProxy: true, env }).getToken(SCOPE)),
      ),
    );
    for (const error of errors) {
      expect(error).toBeInstanceOf(CredentialUnavailableError);
      expect(error.message).toContain(`cannot read AZURE_KUBERNETES_CA_FILE '${caFile}' (it is not a regular file)`);
    }
    // The pool still serves the rest of the process.
    await expect(fs.readFile(path.join(dir, "token"), "utf8")).resolves.toBe("federated-assertion");
    expect(seen).toHaveLength(0);
  });

  it("a CA file larger than 1 MiB is refused, nothing sent", async () => {
    const caFile = path.join(dir, "ca.pem");
    writeFileSync(caFile, `${certificate.cert}\n${"#".repeat(1024 * 1024)}`);
    const env = workloadEnv({
      AZURE_KUBERNETES_TOKEN_PROXY: proxyOrigin,
      AZURE_KUBERNETES_SNI_NAME: SNI,
      AZURE_KUBERNETES_CA_FILE: caFile,
    });
    const error = await failure(new WorkloadIdentityCredential({ enableAzureProxy: true, env }).getToken(SCOPE));
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error.message).toContain("larger than 1048576 bytes");
    expect(seen).toHaveLength(0);
  });

  it("a proxy at an IPv6 literal (https://[::1]:port) is reached", async () => {
    const v6 = https.createServer({ key: certificate.key, cert: certificate.cert }, (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ token_type: "Bearer", expires_in: 3599, access_token: "v6-token" }));
    });
    await new Promise<void>((resolve) => v6.listen(0, "::1", resolve));
    try {
      const env = workloadEnv({
        AZURE_KUBERNETES_TOKEN_PROXY: `https://[::1]:${(v6.address() as AddressInfo).port}`,
        AZURE_KUBERNETES_SNI_NAME: SNI,
        AZURE_KUBERNETES_CA_DATA: certificate.cert,
      });
      await expect(
        new WorkloadIdentityCredential({ enableAzureProxy: true, env }).getToken(SCOPE),
      ).resolves.toMatchObject({ token: "v6-token" });
    } finally {
      v6.closeAllConnections();
      await new Promise<void>((resolve) => v6.close(() => resolve()));
    }
  });
});
