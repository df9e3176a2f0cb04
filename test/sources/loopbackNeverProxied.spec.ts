import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WorkloadIdentityCredential } from "../../src/index.js";
import { SOURCE_NAMES } from "../../src/sources/index.js";
import { useOnlyEnv } from "../helpers/env.js";
import { type RecordingProxy, startRecordingProxy } from "../helpers/recordingProxy.js";
import { type SourceFixture, startSourceFixture } from "../helpers/sourceFixtures.js";

const SCOPE = "https://vault.azure.net/.default";
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/** The variables, in the credential's env and in process.env alike: the rule holds whichever a credential reads. */
function everywhere(env: Record<string, string>): Record<string, string> {
  for (const [variable, value] of Object.entries(env)) vi.stubEnv(variable, value);
  return env;
}

/** Every proxy variable core-rest-pipeline reads, pointing at the recording proxy. */
function proxyVariables(proxy: RecordingProxy): Record<string, string> {
  return { HTTPS_PROXY: proxy.origin, HTTP_PROXY: proxy.origin, ALL_PROXY: proxy.origin };
}

// Issue 20 §1: a request to a loopback host never goes through a proxy, for every source; a real Microsoft Entra
// authority still honours HTTPS_PROXY and NO_PROXY.
describe("loopback is never reached through a proxy", () => {
  let proxy: RecordingProxy | undefined;
  let fixture: SourceFixture | undefined;
  const dirs: string[] = [];

  afterEach(async () => {
    vi.unstubAllEnvs();
    await fixture?.close();
    await proxy?.close();
    fixture = proxy = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it.each(SOURCE_NAMES)("%s: the proxy variables set, the loopback endpoint gets the request", async (name) => {
    proxy = await startRecordingProxy();
    useOnlyEnv(undefined);
    fixture = await startSourceFixture(name);
    everywhere(Object.assign(fixture.env, proxyVariables(proxy)));

    await expect(fixture.credential().getToken(SCOPE)).resolves.toMatchObject({ token: `${name}-token` });

    expect(fixture.requests.length).toBeGreaterThan(0);
    expect({ requests: proxy.requests, connects: proxy.connects }).toEqual({ requests: [], connects: [] });
  });

  it.each(["localhost", "127.0.0.2", "[::1]"])(
    "workload identity: an authority at %s is not proxied either, and the assertion never reaches the proxy",
    async (host) => {
      proxy = await startRecordingProxy();
      fixture = await startSourceFixture("workloadidentity");
      const port = new URL(fixture.origin).port;
      const credential = new WorkloadIdentityCredential({
        env: everywhere({ ...fixture.env, ...proxyVariables(proxy) }),
        authorityHost: `http://${host}:${port}`,
        retryOptions: { maxRetries: 0 },
      });

      // Straight to the host: a token where the fixture listens, refused where nothing does (127.0.0.2).
      await credential.getToken(SCOPE).catch(() => undefined);

      expect({ requests: proxy.requests, connects: proxy.connects }).toEqual({ requests: [], connects: [] });
    },
  );

  function tokenFile(): string {
    const dir = mkdtempSync(path.join(tmpdir(), "mi-proxy-"));
    dirs.push(dir);
    const file = path.join(dir, "token");
    writeFileSync(file, "federated-assertion");
    return file;
  }

  function entraEnv(extra: Record<string, string>): Record<string, string> {
    return everywhere({
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: "client",
      AZURE_FEDERATED_TOKEN_FILE: tokenFile(),
      ...extra,
    });
  }

  it("workload identity: Microsoft Entra (off the machine) goes through HTTPS_PROXY", async () => {
    // The proxy agent hands its socket over asynchronously, which nock's interceptor cannot pass through; the
    // only connection made is to the loopback proxy, which refuses the tunnel (nothing leaves the machine).
    nock.restore();
    try {
      proxy = await startRecordingProxy();
      const credential = new WorkloadIdentityCredential({
        env: entraEnv({ HTTPS_PROXY: proxy.origin }),
        retryOptions: { maxRetries: 0 },
      });

      await expect(credential.getToken(SCOPE)).rejects.toThrow();

      expect(proxy.connects).toEqual(["login.microsoftonline.com:443"]);
    } finally {
      nock.activate();
    }
  });

  it("workload identity: Microsoft Entra named in NO_PROXY goes direct", async () => {
    proxy = await startRecordingProxy();
    // nock answers for Microsoft Entra: nothing leaves the machine.
    const entra = nock("https://login.microsoftonline.com")
      .post(`/${TENANT}/oauth2/v2.0/token`)
      .reply(200, { token_type: "Bearer", expires_in: 3599, access_token: "direct" });
    try {
      const credential = new WorkloadIdentityCredential({
        env: entraEnv({ HTTPS_PROXY: proxy.origin, NO_PROXY: "example.com,.microsoftonline.com" }),
      });

      await expect(credential.getToken(SCOPE)).resolves.toMatchObject({ token: "direct" });

      expect(entra.isDone()).toBe(true);
      expect({ requests: proxy.requests, connects: proxy.connects }).toEqual({ requests: [], connects: [] });
    } finally {
      nock.cleanAll();
    }
  });

  it("workload identity: a proxy variable that is not an http(s) URL is a TypeError at construction, its password masked", () => {
    expect(
      () => new WorkloadIdentityCredential({ env: entraEnv({ HTTPS_PROXY: "http://user:Pa55w0rd@[bad" }) }),
    ).toThrow(/^HTTPS_PROXY is not a URL: 'http:\/\/\*\*\*\*@\[bad'/);
    expect(() => new WorkloadIdentityCredential({ env: entraEnv({ HTTPS_PROXY: "proxy.corp:3128" }) })).toThrow(
      TypeError,
    );
  });
});
