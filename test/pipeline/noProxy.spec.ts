// HTTP(S)_PROXY must never carry a managed identity request: the endpoints are on the machine itself.
import https from "node:https";
import type { AddressInfo } from "node:net";
import { type PipelinePolicy, proxyPolicy } from "@azure/core-rest-pipeline";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ArcCredential, CloudShellCredential, ImdsCredential } from "../../src/index.js";
import { startRecordingProxy, type RecordingProxy } from "../helpers/recordingProxy.js";
import { makeSelfSignedCertificate, type SelfSignedCertificate } from "../helpers/selfSignedCertificate.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";
import { withoutNockInterceptor } from "../helpers/withoutNock.js";

const SCOPE = "https://storage.azure.com/.default";
const PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"];

let proxy: RecordingProxy;
let server: TokenServer | undefined;
beforeEach(async () => {
  proxy = await startRecordingProxy();
  for (const name of PROXY_VARIABLES) vi.stubEnv(name, proxy.origin);
  vi.stubEnv("NO_PROXY", undefined);
  vi.stubEnv("no_proxy", undefined);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await proxy.close();
  await server?.close();
  server = undefined;
});

/** An HTTPS token endpoint on 127.0.0.1 with a self-signed certificate. */
async function startHttpsTokenServer(certificate: SelfSignedCertificate) {
  const paths: string[] = [];
  const httpsServer = https.createServer(certificate, (req, res) => {
    paths.push(req.url ?? "");
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(tokenAnswer("over-tls").body));
  });
  await new Promise<void>((resolve) => httpsServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpsServer.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    paths,
    close: () =>
      new Promise<void>((resolve) => (httpsServer.closeAllConnections(), httpsServer.close(() => resolve()))),
  };
}

/** Trusts the test's certificate on the credential's own (default) HTTP client. */
function trust(certificate: SelfSignedCertificate): PipelinePolicy {
  return {
    name: "trustTestCertificate",
    sendRequest(request, next) {
      request.tlsSettings = { ca: certificate.cert };
      return next(request);
    },
  };
}

describe("the proxy variables", () => {
  let certificate: SelfSignedCertificate;
  beforeAll(() => {
    certificate = makeSelfSignedCertificate();
  });

  // The control: the same credential with core's proxyPolicy added does go through the proxy, so
  // the tests below would see it if the credential's own pipeline had one.
  it("do send a credential through the recording proxy once core's proxyPolicy is added (the control)", async () => {
    server = await startTokenServer(() => tokenAnswer("direct"));
    const viaProxy = (endpoint: string) =>
      new ImdsCredential({
        endpoint,
        retryOptions: { maxRetries: 0 },
        additionalPolicies: [{ policy: proxyPolicy(), position: "perRetry" }],
      });
    await withoutNockInterceptor(async () => {
      await expect(viaProxy(server!.origin).getToken(SCOPE)).rejects.toMatchObject({ statusCode: 502 });
      await expect(viaProxy("https://127.0.0.1:9").getToken(SCOPE)).rejects.toThrow();
    });
    expect(proxy.requests).toEqual([
      expect.stringMatching(new RegExp(`^${server.origin}/metadata/identity/oauth2/token\\?`)),
    ]);
    expect(proxy.connects).toEqual(["127.0.0.1:9"]);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ["ImdsCredential", ImdsCredential, "/metadata/identity/oauth2/token"],
    ["ArcCredential", ArcCredential, "/metadata/identity/oauth2/token"],
    ["CloudShellCredential", CloudShellCredential, "/oauth2/token"],
  ] as const)("are ignored by %s: the token comes straight from the loopback endpoint", async (_, Credential, path) => {
    server = await startTokenServer(() => tokenAnswer("direct"));
    const credential = new Credential({ endpoint: `${server.origin}${path}` });
    expect((await withoutNockInterceptor(() => credential.getToken(SCOPE))).token).toBe("direct");
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.url.pathname).toBe(path);
    expect(proxy.requests).toEqual([]);
    expect(proxy.connects).toEqual([]);
  });

  it("are ignored for an https endpoint too: no CONNECT tunnel", async () => {
    const tls = await startHttpsTokenServer(certificate);
    try {
      const credential = new ImdsCredential({
        endpoint: tls.origin,
        additionalPolicies: [{ policy: trust(certificate), position: "perRetry" }],
      });
      expect((await withoutNockInterceptor(() => credential.getToken(SCOPE))).token).toBe("over-tls");
      expect(tls.paths).toHaveLength(1);
      expect(proxy.connects).toEqual([]);
      expect(proxy.requests).toEqual([]);
    } finally {
      await tls.close();
    }
  });
});
