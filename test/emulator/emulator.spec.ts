// The emulator as a whole: loopback only, ports chosen or given, the environment it prints, the
// requests it records, and every kind of injected fault as the wire shows it.
import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Emulator, type EmulatorRequestRecord, startEmulator } from "../../src/emulator/index.js";
import { waitForReal } from "../helpers/fakeClock.js";
import { rawRequest, withQuery } from "../helpers/rawRequest.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await emulator?.close();
  emulator = undefined;
});

const META = { Metadata: "true" };
const QUERY = { "api-version": "2018-02-01", resource: "https://vault.azure.net" };
const imds = () => rawRequest(withQuery(emulator!.endpoints.imds!, QUERY), { headers: META });

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("startEmulator", () => {
  it("serves every source on its own 127.0.0.1 port by default", async () => {
    emulator = await startEmulator();
    const { endpoints } = emulator;
    expect(endpoints.imds).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metadata\/identity\/oauth2\/token$/);
    expect(endpoints.arc).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metadata\/identity\/oauth2\/token$/);
    expect(endpoints.cloudshell).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2\/token$/);
    expect(endpoints.appservice).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/msi\/token$/);
    expect(endpoints.servicefabric).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metadata\/identity\/oauth2\/token$/);
    expect(endpoints.azureml).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/MSI\/auth$/);
    expect(endpoints.workloadidentity).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints.keyvault).toBe(emulator.keyVaultUrl);
    const ports = Object.values(endpoints).map((u) => new URL(u).port);
    expect(new Set(ports).size).toBe(8);
  });

  it("gives the environment each source reads, and prints it with Arc's tokenFolder", async () => {
    emulator = await startEmulator();
    const { endpoints, env } = emulator;
    expect(env).toEqual({
      imds: { AZURE_POD_IDENTITY_AUTHORITY_HOST: new URL(endpoints.imds!).origin },
      arc: { IDENTITY_ENDPOINT: endpoints.arc, IMDS_ENDPOINT: new URL(endpoints.arc!).origin },
      cloudshell: { MSI_ENDPOINT: endpoints.cloudshell },
      appservice: { IDENTITY_ENDPOINT: endpoints.appservice, IDENTITY_HEADER: expect.stringMatching(/^[0-9a-f]{32}$/) },
      servicefabric: {
        IDENTITY_ENDPOINT: endpoints.servicefabric,
        IDENTITY_HEADER: expect.stringMatching(/^[0-9a-f]{32}$/),
        IDENTITY_SERVER_THUMBPRINT: expect.stringMatching(/^[0-9A-F]{40}$/),
      },
      azureml: { MSI_ENDPOINT: endpoints.azureml, MSI_SECRET: expect.stringMatching(/^[0-9a-f]{32}$/) },
      workloadidentity: {
        AZURE_AUTHORITY_HOST: endpoints.workloadidentity,
        AZURE_TENANT_ID: emulator.identities.tenantId,
        AZURE_CLIENT_ID: emulator.identities.userAssigned[0]!.clientId,
        AZURE_FEDERATED_TOKEN_FILE: expect.stringMatching(/azure-identity-token$/),
      },
    });
    // Each host's secret is its own.
    expect(env.servicefabric!["IDENTITY_HEADER"]).not.toBe(env.appservice!["IDENTITY_HEADER"]);
    const text = emulator.describe();
    expect(text).toContain(
      `export AZURE_POD_IDENTITY_AUTHORITY_HOST='${env.imds!["AZURE_POD_IDENTITY_AUTHORITY_HOST"]}'`,
    );
    expect(text).toContain(`export MSI_ENDPOINT='${endpoints.cloudshell}'`);
    expect(text).toContain(`export IMDS_ENDPOINT='${env.arc!["IMDS_ENDPOINT"]}'`);
    expect(text).toContain(`ArcCredential needs { tokenFolder: ${JSON.stringify(emulator.tokenFolder)} }`);
    expect(text).toContain("secrets: demo-secret");
  });

  it("serves only the sources asked for, and no tokenFolder without Arc", async () => {
    emulator = await startEmulator({ sources: ["cloudshell"] });
    expect(Object.keys(emulator.endpoints).sort()).toEqual(["cloudshell", "keyvault"]);
    expect(Object.keys(emulator.env)).toEqual(["cloudshell"]);
    expect(emulator.tokenFolder).toBeUndefined();
  });

  it("listens on the ports it is given", async () => {
    const port = await freePort();
    emulator = await startEmulator({ sources: ["imds"], ports: { imds: port } });
    expect(emulator.endpoints.imds).toBe(`http://127.0.0.1:${port}/metadata/identity/oauth2/token`);
  });

  it("rejects a port that is taken, and leaves nothing running", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(startEmulator({ ports: { cloudshell: port } })).rejects.toMatchObject({ code: "EADDRINUSE" });
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it("listens on loopback only", async () => {
    await expect(startEmulator({ host: "0.0.0.0" })).rejects.toThrow("loopback only");
    await expect(startEmulator({ sources: ["ftp" as never] })).rejects.toThrow("Unknown source 'ftp'");
  });

  it("records each request's endpoint, path and outcome, and nothing secret", async () => {
    const seen: EmulatorRequestRecord[] = [];
    emulator = await startEmulator({ sources: ["imds"], onRequest: (r) => seen.push(r) });
    await imds();
    await rawRequest(emulator.endpoints.imds!, {});
    expect(emulator.requests).toEqual([
      {
        endpoint: "imds",
        method: "GET",
        path: "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net",
        outcome: 200,
      },
      { endpoint: "imds", method: "GET", path: "/metadata/identity/oauth2/token", outcome: 400 },
    ]);
    expect(seen).toEqual(emulator.requests);
  });
});

describe("fault injection on the wire", () => {
  it("plays a status sequence in the source's own error shape, with Retry-After", async () => {
    emulator = await startEmulator({
      sources: ["imds", "appservice"],
      faults: { statusSequence: [410, 429, 200], retryAfter: 2 },
    });
    const gone = await imds();
    expect(gone.status).toBe(410);
    expect(gone.headers["retry-after"]).toBe("2");
    expect(gone.json).toMatchObject({ error: "gone", error_description: expect.stringContaining("70 seconds") });
    expect((await imds()).status).toBe(429);
    expect((await imds()).status).toBe(200);
    expect((await imds()).status).toBe(200);

    const appService = await rawRequest(
      withQuery(emulator.endpoints.appservice!, { "api-version": "2019-08-01", resource: "r" }),
      {},
    );
    expect(appService.status).toBe(410);
    expect(appService.json).toMatchObject({ statusCode: 410, message: expect.any(String) });
  });

  it("throttles after N requests", async () => {
    emulator = await startEmulator({ sources: ["imds"], faults: { throttleAfter: 2, retryAfter: 1 } });
    expect([(await imds()).status, (await imds()).status]).toEqual([200, 200]);
    const throttled = await imds();
    expect(throttled.status).toBe(429);
    expect(throttled.headers["retry-after"]).toBe("1");
  });

  it("changes faults at run time, per endpoint; the Key Vault only when named", async () => {
    emulator = await startEmulator({ sources: ["imds"], faults: { statusSequence: [500] } });
    expect(
      (
        await rawRequest(withQuery(emulator.keyVaultUrl + "secrets/demo-secret", { "api-version": "7.5" }), {
          ca: emulator.ca,
        })
      ).status,
    ).toBe(401);
    emulator.setFaults({ statusSequence: [503] });
    expect((await imds()).status).toBe(503);
    emulator.setFaults({ statusSequence: [429] }, "keyvault");
    const vault = await rawRequest(withQuery(emulator.keyVaultUrl + "secrets/demo-secret", { "api-version": "7.5" }), {
      ca: emulator.ca,
    });
    expect(vault.status).toBe(429);
    expect(vault.json).toMatchObject({ error: { code: "Throttled" } });
    expect((await imds()).status).toBe(200);
  });

  it("resets the connection", async () => {
    emulator = await startEmulator({ sources: ["imds"], faults: { statusSequence: ["reset"] } });
    await expect(imds()).rejects.toMatchObject({ code: "ECONNRESET" });
    expect((await imds()).status).toBe(200);
    expect(emulator.requests.map((r) => r.outcome)).toEqual(["reset", 200]);
  });

  it("hangs a request until the emulator closes", async () => {
    emulator = await startEmulator({ sources: ["imds"], faults: { hang: true } });
    const pending = imds();
    await waitForReal(() => emulator!.requests.length === 1);
    expect(emulator.requests[0]!.outcome).toBe("hang");
    // Watched before closing: close() also removes the emulator's folder, and the reset comes before it ends.
    const reset = expect(pending).rejects.toMatchObject({ code: "ECONNRESET" });
    await emulator.close();
    await reset;
  });

  it("answers only after the latency", async () => {
    emulator = await startEmulator({ sources: ["imds"], faults: { latencyMs: 5_000 } });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let answered = false;
    const pending = imds().then((a) => {
      answered = true;
      return a;
    });
    await waitForReal(() => vi.getTimerCount() === 1); // the request arrived and waits
    await vi.advanceTimersByTimeAsync(4_999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).status).toBe(200);
  });
});
