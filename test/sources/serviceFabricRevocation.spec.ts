// CAE and token revocation on Service Fabric: MSAL's managed identity revocation protocol. With a CAE challenge's
// claims, the request carries the client capability `xms_cc=cp1` and `token_sha256_to_refresh`, the lowercase hex
// SHA-256 of the cached token's UTF-8 bytes, so that the token service issues a new token instead of its cached,
// revoked one. Facts from msal-node (ManagedIdentityApplication.acquireToken: the hash of the cached access token
// for the sources in SOURCES_THAT_SUPPORT_TOKEN_REVOCATION, i.e. Service Fabric; BaseManagedIdentitySource:
// ManagedIdentityQueryParameters.SHA256_TOKEN_TO_REFRESH "token_sha256_to_refresh" and XMS_CC "xms_cc").
import { createHash } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { bearerTokenAuthenticationPolicy, createEmptyPipeline, createPipelineRequest } from "@azure/core-rest-pipeline";
import { createDefaultHttpClient } from "@azure/core-rest-pipeline";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ImdsCredential, ServiceFabricCredential } from "../../src/index.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";
import {
  makePinnedCertificate,
  makeSelfSignedCertificate,
  type PinnedCertificate,
} from "../helpers/selfSignedCertificate.js";

const SCOPE = "https://vault.azure.net/.default";
const SECRET = "sf-secret-header-value";
// A CAE challenge's claims, as a resource sends them (base64 in WWW-Authenticate) and getToken receives them.
const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1726000000"}}}';

/** The lowercase hex SHA-256 of a string's UTF-8 bytes, from first principles (Buffer, not a string hash). */
const sha256 = (text: string): string => createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex");

interface Seen {
  query: Record<string, string>;
}

/** A loopback Service Fabric token service over TLS: it hands out `tokens` in turn and records each query. */
async function startServiceFabric(certificate: PinnedCertificate, tokens: string[]) {
  const requests: Seen[] = [];
  const server = https.createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    requests.push({ query: Object.fromEntries(new URL(req.url ?? "/", "https://127.0.0.1").searchParams) });
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        token_type: "Bearer",
        access_token: tokens[Math.min(requests.length, tokens.length) - 1],
        expires_on: Math.floor(Date.now() / 1000) + 3600,
        resource: "https://vault.azure.net",
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const credential = (): ServiceFabricCredential =>
    new ServiceFabricCredential({ endpoint: `https://127.0.0.1:${port}/metadata/identity/oauth2/token` });
  return {
    requests,
    credential,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("Service Fabric revocation hint", () => {
  let certificate: PinnedCertificate;
  const cleanups: (() => Promise<void>)[] = [];
  const savedEnv = { ...process.env };

  beforeAll(() => {
    certificate = makePinnedCertificate();
  });
  afterEach(async () => {
    process.env = { ...savedEnv };
    await Promise.all(cleanups.splice(0).map((close) => close()));
  });

  async function serviceFabric(tokens: string[]) {
    const sf = await startServiceFabric(certificate, tokens);
    cleanups.push(sf.close);
    process.env["IDENTITY_HEADER"] = SECRET;
    process.env["IDENTITY_SERVER_THUMBPRINT"] = certificate.sha1;
    return sf;
  }

  it("with claims: bypasses the cache and sends xms_cc=cp1 and the SHA-256 of the cached token; without: neither", async () => {
    // The hash is of the token's bytes (a bearer token is printable ASCII: the answer checks refuse anything else).
    const revoked = "eyJ0eXAi.cached-token~+/=.sig";
    const sf = await serviceFabric([revoked, "eyJ0eXAi.fresh-token.sig"]);
    const credential = sf.credential();

    await expect(credential.getToken(SCOPE)).resolves.toMatchObject({ token: revoked });
    await expect(credential.getToken(SCOPE, { claims: CLAIMS, enableCae: true })).resolves.toMatchObject({
      token: "eyJ0eXAi.fresh-token.sig",
    });
    // The new token replaced the refused one in the cache: no third request.
    await expect(credential.getToken(SCOPE)).resolves.toMatchObject({ token: "eyJ0eXAi.fresh-token.sig" });

    expect(sf.requests).toHaveLength(2);
    expect(sf.requests[0]!.query).toEqual({ "api-version": "2020-05-01", resource: "https://vault.azure.net" });
    expect(sf.requests[1]!.query).toEqual({
      "api-version": "2020-05-01",
      resource: "https://vault.azure.net",
      xms_cc: "cp1",
      token_sha256_to_refresh: sha256(revoked),
    });
    expect(sf.requests[1]!.query["token_sha256_to_refresh"]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("hashes the token's bytes: SHA-256('abc') is the FIPS 180-2 test vector ba7816bf…15ad", async () => {
    const sf = await serviceFabric(["abc", "new"]);
    const credential = sf.credential();
    await credential.getToken(SCOPE);
    await credential.getToken(SCOPE, { claims: CLAIMS });
    expect(sf.requests[1]!.query["token_sha256_to_refresh"]).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("with claims and nothing cached: xms_cc=cp1 alone (there is no token to name)", async () => {
    const sf = await serviceFabric(["first"]);
    await sf.credential().getToken(SCOPE, { claims: CLAIMS });
    expect(sf.requests[0]!.query).toEqual({
      "api-version": "2020-05-01",
      resource: "https://vault.azure.net",
      xms_cc: "cp1",
    });
  });

  it("empty claims are no claims: the cached token, no request", async () => {
    const sf = await serviceFabric(["first", "second"]);
    const credential = sf.credential();
    await credential.getToken(SCOPE);
    await expect(credential.getToken(SCOPE, { claims: "" })).resolves.toMatchObject({ token: "first" });
    expect(sf.requests).toHaveLength(1);
  });

  it("through core-rest-pipeline's bearerTokenAuthenticationPolicy: a CAE challenge from the resource brings the hint and a new token", async () => {
    const sf = await serviceFabric(["revoked-token", "fresh-token"]);
    // The resource (HTTPS, as the policy requires) refuses the first token with a CAE challenge:
    // 401 insufficient_claims, the claims in base64.
    const resourceCertificate = makeSelfSignedCertificate();
    const seenAuthorizations: (string | undefined)[] = [];
    const resource = https.createServer(
      { key: resourceCertificate.key, cert: resourceCertificate.cert },
      (req, res) => {
        seenAuthorizations.push(req.headers["authorization"]);
        if (req.headers["authorization"] === "Bearer fresh-token") {
          res.writeHead(200).end("{}");
          return;
        }
        res
          .writeHead(401, {
            "WWW-Authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${Buffer.from(CLAIMS).toString("base64")}"`,
          })
          .end();
      },
    );
    await new Promise<void>((resolve) => resource.listen(0, "127.0.0.1", resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          resource.closeAllConnections();
          resource.close(() => resolve());
        }),
    );

    const pipeline = createEmptyPipeline();
    pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: sf.credential(), scopes: SCOPE }));
    const request = createPipelineRequest({
      url: `https://127.0.0.1:${(resource.address() as AddressInfo).port}/secrets/x`,
    });
    request.agent = new https.Agent({ ca: resourceCertificate.cert });
    const response = await pipeline.sendRequest(createDefaultHttpClient(), request);

    expect(response.status).toBe(200);
    expect(seenAuthorizations).toEqual(["Bearer revoked-token", "Bearer fresh-token"]);
    expect(sf.requests).toHaveLength(2);
    expect(sf.requests[0]!.query["token_sha256_to_refresh"]).toBeUndefined();
    expect(sf.requests[1]!.query).toMatchObject({ xms_cc: "cp1", token_sha256_to_refresh: sha256("revoked-token") });
  });
});

describe("IMDS takes no revocation hint", () => {
  let server: TokenServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("with claims: a new request (our cache bypassed) that carries neither xms_cc nor a token hash", async () => {
    let n = 0;
    server = await startTokenServer(() => tokenAnswer(`imds-${++n}`));
    const credential = new ImdsCredential({ endpoint: server.origin });
    await credential.getToken(SCOPE);
    await expect(credential.getToken(SCOPE, { claims: CLAIMS, enableCae: true })).resolves.toMatchObject({
      token: "imds-2",
    });
    expect(server.requests).toHaveLength(2);
    expect(Object.fromEntries(server.requests[1]!.url.searchParams)).toEqual({
      "api-version": "2018-02-01",
      resource: "https://vault.azure.net",
    });
  });
});
