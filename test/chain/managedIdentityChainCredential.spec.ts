import net from "node:net";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { ChainedTokenCredential } from "@azure/identity";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthenticationError, CredentialUnavailableError, ManagedIdentityChainCredential } from "../../src/index.js";
import {
  startTokenServer,
  tokenAnswer,
  type Answer,
  type SeenRequest,
  type TokenServer,
} from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const NO_AGENT = "/nonexistent/azcmagent/bin/himds";
const DOCKER_403: Answer = { status: 403, body: "dial tcp 169.254.169.254:80: connect: network is unreachable" };

const isProbe = (request: SeenRequest): boolean => request.headers["metadata"] === undefined;

/** A loopback IMDS: the probe (no Metadata header) gets `probeAnswer`, a token request a token. */
async function startImds(
  probeAnswer: () => Answer = () => ({ status: 400, body: { error: "invalid_request" } }),
): Promise<TokenServer> {
  return startTokenServer((request) =>
    isProbe(request) ? probeAnswer() : tokenAnswer(`imds:${request.url.searchParams.get("resource")}`),
  );
}

/** A credential that a developer would have after the chain: it counts its calls. */
function developerCredential(): TokenCredential & { calls: number } {
  return {
    calls: 0,
    async getToken(): Promise<AccessToken> {
      this.calls++;
      return { token: "developer-token", expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
}

/** A TCP server that accepts and never answers; `connected` resolves on its first connection. */
async function startSilentServer(): Promise<{
  origin: string;
  connections: () => number;
  connected: Promise<void>;
  close: () => Promise<void>;
}> {
  const sockets: net.Socket[] = [];
  let onConnection!: () => void;
  const connected = new Promise<void>((resolve) => (onConnection = resolve));
  const server = net.createServer((socket) => {
    sockets.push(socket);
    onConnection();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: () => sockets.length,
    connected,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

async function refusedOrigin(): Promise<string> {
  const server = await startTokenServer(() => undefined);
  await server.close();
  return server.origin;
}

describe("ManagedIdentityChainCredential", () => {
  const servers: TokenServer[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  const track = async (server: Promise<TokenServer>): Promise<TokenServer> => {
    const started = await server;
    servers.push(started);
    return started;
  };

  describe("on IMDS", () => {
    it.each([
      [""],
      [" "],
      ["https://a/.default https://b/.default"],
      [["https://a/.default", "https://b/.default"]],
      [7],
    ])("a bad scope (%j) is a TypeError before any detection: no probe, no token request", async (scopes) => {
      const imds = await track(startImds());
      const credential = new ManagedIdentityChainCredential({
        env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.origin },
        arcAgentPath: NO_AGENT,
      });
      await expect(credential.getToken(scopes as string)).rejects.toThrow(TypeError);
      expect(imds.requests).toHaveLength(0);
      // One scope in an array of one is accepted, as @azure/identity accepts it.
      expect((await credential.getToken([SCOPE])).token).toBe("imds:https://vault.azure.net");
    });

    it("probes once, then sticks to IMDS even when the environment changes", async () => {
      const imds = await track(startImds());
      const env: NodeJS.ProcessEnv = { AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.origin };
      const credential = new ManagedIdentityChainCredential({ env, arcAgentPath: NO_AGENT });

      expect((await credential.getToken(SCOPE)).token).toBe("imds:https://vault.azure.net");
      env["MSI_ENDPOINT"] = "http://127.0.0.1:1/msi";
      env["MSI_SECRET"] = "s";
      expect((await credential.getToken("https://storage.azure.com/.default")).token).toBe(
        "imds:https://storage.azure.com",
      );
      expect((await credential.getToken("https://management.azure.com/.default")).token).toBe(
        "imds:https://management.azure.com",
      );

      expect(imds.requests.filter(isProbe)).toHaveLength(1);
      expect(imds.requests.filter((r) => !isProbe(r))).toHaveLength(3);
    });

    it("shares one detection between concurrent first calls", async () => {
      const imds = await track(startImds());
      const credential = new ManagedIdentityChainCredential({
        env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.origin },
        arcAgentPath: NO_AGENT,
      });

      const tokens = await Promise.all(
        Array.from({ length: 20 }, (_, i) => credential.getToken(`https://r${i}.example/.default`)),
      );

      expect(tokens).toHaveLength(20);
      expect(imds.requests.filter(isProbe)).toHaveLength(1);
    });

    it("passes a user-assigned identity to IMDS", async () => {
      const imds = await track(startImds());
      await new ManagedIdentityChainCredential({
        env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.origin },
        arcAgentPath: NO_AGENT,
        objectId: "oid-1",
      }).getToken(SCOPE);
      expect(imds.requests.find((r) => !isProbe(r))!.url.searchParams.get("object_id")).toBe("oid-1");
    });
  });

  describe("when no managed identity answers", () => {
    it("is unavailable at once on a refused port, saying what it checked", async () => {
      const origin = await refusedOrigin();
      const credential = new ManagedIdentityChainCredential({
        env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin },
        arcAgentPath: NO_AGENT,
      });

      const error = await credential.getToken(SCOPE).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(CredentialUnavailableError);
      expect((error as Error).name).toBe("CredentialUnavailableError");
      // A short first line; then what was checked, one source per line (it was one line of 600+ characters).
      const [first, ...checks] = (error as Error).message.split("\n");
      expect(first).toBe(
        "ManagedIdentityChainCredential: No managed identity found on this machine; not probed again for 5 s.",
      );
      expect(checks[0]).toMatch(/^ {2}Service Fabric \(/);
      expect(checks.at(-1)).toMatch(/^ {2}IMDS \(nothing answers .*ECONNREFUSED/);
      expect(checks.map((line) => line.trim().split(" (")[0])).toEqual([
        "Service Fabric",
        "App Service",
        "Azure ML",
        "Cloud Shell",
        "Azure Arc",
        "Workload identity",
        "IMDS",
      ]);
    });

    it("is unavailable when the probe times out on a server that never answers", async () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      const silent = await startSilentServer();
      try {
        const credential = new ManagedIdentityChainCredential({
          env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: silent.origin },
          arcAgentPath: NO_AGENT,
          probeTimeoutMs: 300,
        });
        let settled: unknown;
        const call = credential.getToken(SCOPE).catch((e: unknown) => (settled = e));

        // The probe's timer starts before it connects.
        await silent.connected;
        await vi.advanceTimersByTimeAsync(299);
        expect(settled).toBeUndefined();
        await vi.advanceTimersByTimeAsync(1);
        await call;
        expect(settled).toBeInstanceOf(CredentialUnavailableError);
        expect((settled as Error).message).toContain("no answer within 300 ms");
      } finally {
        await silent.close();
      }
    });

    it("does not probe again until a back-off has passed, then finds IMDS when it is back", async () => {
      vi.useFakeTimers({ toFake: ["Date", "performance"] });
      let answer: Answer = DOCKER_403;
      const imds = await track(startImds(() => answer));
      const credential = new ManagedIdentityChainCredential({
        env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.origin },
        arcAgentPath: NO_AGENT,
      });

      await expect(credential.getToken(SCOPE)).rejects.toThrow(/not probed again for 5 s\.\n[\s\S]*Docker Desktop/);
      await expect(credential.getToken(SCOPE)).rejects.toBeInstanceOf(CredentialUnavailableError);
      expect(imds.requests.filter(isProbe)).toHaveLength(1);

      vi.advanceTimersByTime(5_000);
      await expect(credential.getToken(SCOPE)).rejects.toThrow(/not probed again for 10 s/);
      expect(imds.requests.filter(isProbe)).toHaveLength(2);

      answer = { status: 400, body: {} };
      vi.advanceTimersByTime(9_999);
      await expect(credential.getToken(SCOPE)).rejects.toBeInstanceOf(CredentialUnavailableError);
      expect(imds.requests.filter(isProbe)).toHaveLength(2);
      vi.advanceTimersByTime(1);
      await expect(credential.getToken(SCOPE)).resolves.toMatchObject({ token: "imds:https://vault.azure.net" });
      expect(imds.requests.filter(isProbe)).toHaveLength(3);
    });

    it("hands over to the next credential inside @azure/identity's ChainedTokenCredential", async () => {
      const origin = await refusedOrigin();
      const developer = developerCredential();
      const chain = new ChainedTokenCredential(
        new ManagedIdentityChainCredential({
          env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin },
          arcAgentPath: NO_AGENT,
        }),
        developer,
      );

      expect((await chain.getToken(SCOPE)).token).toBe("developer-token");
      expect(developer.calls).toBe(1);
    });
  });

  describe("on the other hosts", () => {
    it("uses App Service when its variables are set, passing clientId, without probing IMDS", async () => {
      const appService = await track(startTokenServer(() => tokenAnswer("app-service-token")));
      const imds = await track(startImds());
      const credential = new ManagedIdentityChainCredential({
        env: {
          IDENTITY_ENDPOINT: `${appService.origin}/msi/token`,
          IDENTITY_HEADER: "h",
          AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.origin,
        },
        arcAgentPath: NO_AGENT,
        clientId: "my-client",
      });

      expect((await credential.getToken(SCOPE)).token).toBe("app-service-token");
      expect(appService.requests[0]!.url.searchParams.get("client_id")).toBe("my-client");
      expect(appService.requests[0]!.headers["x-identity-header"]).toBe("h");
      expect(imds.requests).toHaveLength(0);
    });

    it("uses workload identity when its variables are set, with the clientId option over AZURE_CLIENT_ID", async () => {
      const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
      const { tmpdir } = await import("node:os");
      const dir = mkdtempSync(`${tmpdir()}/mi-chain-`);
      try {
        writeFileSync(`${dir}/token`, "federated");
        const entra = await track(
          startTokenServer(() => ({
            status: 200,
            body: { token_type: "Bearer", expires_in: 3600, access_token: "entra-token" },
          })),
        );
        const credential = new ManagedIdentityChainCredential({
          env: {
            AZURE_FEDERATED_TOKEN_FILE: `${dir}/token`,
            AZURE_CLIENT_ID: "env-client",
            AZURE_TENANT_ID: "t",
            AZURE_AUTHORITY_HOST: entra.origin,
          },
          arcAgentPath: NO_AGENT,
          clientId: "option-client",
        });

        expect((await credential.getToken(SCOPE)).token).toBe("entra-token");
        expect(new URLSearchParams(entra.requests[0]!.body).get("client_id")).toBe("option-client");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it.each([
      [
        "Cloud Shell",
        { MSI_ENDPOINT: "MSI" },
        { clientId: "c" },
        /Cloud Shell .*cannot use the user-assigned identity with clientId c: Cloud Shell gives tokens for the signed-in user only/,
      ],
      [
        "Azure ML",
        { MSI_ENDPOINT: "MSI", MSI_SECRET: "s" },
        { resourceId: "/r" },
        /Azure ML .*cannot use the user-assigned identity with resourceId \/r: .*client id only/,
      ],
      [
        "Service Fabric",
        {
          IDENTITY_ENDPOINT: "https://127.0.0.1:1/t",
          IDENTITY_HEADER: "h",
          IDENTITY_SERVER_THUMBPRINT: "AB".repeat(20),
        },
        { clientId: "c" },
        /Service Fabric .*cannot use the user-assigned identity with clientId c: .*give objectId instead/,
      ],
    ])(
      "refuses, sending nothing, a user-assigned identity that %s cannot take",
      async (_name, variables, identity, message) => {
        const host = await track(startTokenServer(() => tokenAnswer()));
        const env = Object.fromEntries(
          Object.entries(variables).map(([k, v]) => [k, v === "MSI" ? `${host.origin}/msi` : v]),
        );
        const credential = new ManagedIdentityChainCredential({ env, arcAgentPath: NO_AGENT, ...identity });

        const error = await credential.getToken(SCOPE).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(CredentialUnavailableError);
        expect((error as Error).message).toMatch(message);
        expect((error as Error).message).toContain("Nothing was sent.");
        expect(host.requests).toHaveLength(0);
      },
    );

    it("stops a ChainedTokenCredential with an AuthenticationError when the source found fails", async () => {
      const appService = await track(startTokenServer(() => ({ status: 401, body: { message: "bad header" } })));
      const developer = developerCredential();
      const chain = new ChainedTokenCredential(
        new ManagedIdentityChainCredential({
          env: { IDENTITY_ENDPOINT: appService.origin, IDENTITY_HEADER: "h" },
          arcAgentPath: NO_AGENT,
        }),
        developer,
      );

      await expect(chain.getToken(SCOPE)).rejects.toThrow(/bad header/);
      expect(developer.calls).toBe(0);
    });

    it("fails with an AuthenticationError when the environment names a source but misconfigures it", async () => {
      const credential = new ManagedIdentityChainCredential({
        env: {
          IDENTITY_ENDPOINT: "http://127.0.0.1:1/t",
          IDENTITY_HEADER: "h",
          IDENTITY_SERVER_THUMBPRINT: "AB".repeat(20),
        },
        arcAgentPath: NO_AGENT,
      });
      const error = await credential.getToken(SCOPE).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as Error).message).toMatch(
        /Service Fabric .*misconfigured: IDENTITY_ENDPOINT must be an https URL/,
      );
    });
  });

  it("refuses more than one user-assigned identity at construction", () => {
    expect(() => new ManagedIdentityChainCredential({ clientId: "a", objectId: "b" })).toThrow(TypeError);
  });

  it("lets a caller abort its wait for the detection without cancelling it for the others", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const silent = await startSilentServer();
    try {
      const credential = new ManagedIdentityChainCredential({
        env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: silent.origin },
        arcAgentPath: NO_AGENT,
      });
      const controller = new AbortController();
      const aborted = credential.getToken(SCOPE, { abortSignal: controller.signal }).catch((e: unknown) => e);
      const patient = credential.getToken(SCOPE).catch((e: unknown) => e);

      controller.abort();
      expect(((await aborted) as Error).name).toBe("AbortError");
      await silent.connected;
      await vi.advanceTimersByTimeAsync(1000);
      expect(await patient).toBeInstanceOf(CredentialUnavailableError);
      expect(silent.connections()).toBe(1);
    } finally {
      await silent.close();
    }
  });
});
