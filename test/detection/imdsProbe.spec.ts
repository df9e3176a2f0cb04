import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { probeImds } from "../../src/detection/imdsProbe.js";
import { startTokenServer, type Answer, type TokenServer } from "../helpers/tokenServer.js";

const TOKEN_PATH = "/metadata/identity/oauth2/token";

/** A TCP server that accepts connections and never says a word. */
async function startSilentServer(): Promise<{
  endpoint: URL;
  accepted: () => number;
  connected: Promise<void>;
  close: () => Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let onConnection!: () => void;
  const connected = new Promise<void>((resolve) => (onConnection = resolve));
  const server = net.createServer((socket) => {
    accepted++;
    onConnection();
    sockets.add(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: new URL(`http://127.0.0.1:${port}${TOKEN_PATH}`),
    accepted: () => accepted,
    connected,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

describe("the IMDS probe", () => {
  let server: TokenServer | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await server?.close();
    server = undefined;
  });

  async function imdsAnswering(answer: Answer): Promise<URL> {
    server = await startTokenServer(() => answer);
    return new URL(`${server.origin}${TOKEN_PATH}`);
  }

  it("finds IMDS present when it answers 400, from one request without the Metadata header", async () => {
    const endpoint = await imdsAnswering({
      status: 400,
      body: { error: "invalid_request", error_description: "Required metadata header not specified" },
    });

    const result = await probeImds(endpoint);

    expect(result).toEqual({ present: true, detail: `${endpoint.href} answered the probe with 400` });
    expect(server!.requests).toHaveLength(1);
    expect(server!.requests[0]!.method).toBe("GET");
    expect(server!.requests[0]!.url.pathname).toBe(TOKEN_PATH);
    expect(Object.fromEntries(server!.requests[0]!.url.searchParams)).toEqual({ "api-version": "2018-02-01" });
    expect(server!.requests[0]!.headers["metadata"]).toBeUndefined();
  });

  it("takes any HTTP answer as present, and does not retry a 500", async () => {
    const endpoint = await imdsAnswering({ status: 500, body: "oops" });
    expect((await probeImds(endpoint)).present).toBe(true);
    expect(server!.requests).toHaveLength(1);
  });

  it("finds IMDS absent behind Docker Desktop's 403 'unreachable', present behind another 403", async () => {
    const docker = await imdsAnswering({
      status: 403,
      body: "connecting to 169.254.169.254:80: connecting to 169.254.169.254:80: dial tcp 169.254.169.254:80: connectex: A socket operation was attempted to an unreachable network.",
    });
    expect(await probeImds(docker)).toMatchObject({
      present: false,
      detail: expect.stringContaining("Docker Desktop"),
    });
    await server!.close();

    const other = await imdsAnswering({ status: 403, body: { error: "forbidden" } });
    expect((await probeImds(other)).present).toBe(true);
  });

  it("finds IMDS absent when the port refuses the connection", async () => {
    const gone = await startTokenServer(() => undefined);
    const endpoint = new URL(`${gone.origin}${TOKEN_PATH}`);
    await gone.close();

    const result = await probeImds(endpoint);

    expect(result.present).toBe(false);
    expect(result.detail).toMatch(/ECONNREFUSED/);
  });

  it("gives up on a server that accepts and never answers when the probe timeout (1 s by default) runs out", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const silent = await startSilentServer();
    try {
      let outcome: { present: boolean; detail: string } | undefined;
      const probe = probeImds(silent.endpoint).then((result) => (outcome = result));

      await silent.connected;
      await vi.advanceTimersByTimeAsync(999);
      expect(outcome).toBeUndefined();

      await vi.advanceTimersByTimeAsync(1);
      await probe;
      expect(outcome).toEqual({
        present: false,
        detail: `nothing answers at ${silent.endpoint.href}: no answer within 1000 ms`,
      });
      expect(silent.accepted()).toBe(1); // no retry
    } finally {
      await silent.close();
    }
  });

  it("takes a probe timeout of 0 or Infinity as the default, never as 'wait forever'", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const silent = await startSilentServer();
    try {
      for (const timeoutMs of [0, Number.POSITIVE_INFINITY]) {
        let outcome: { present: boolean; detail: string } | undefined;
        const probe = probeImds(silent.endpoint, { timeoutMs }).then((result) => (outcome = result));
        await vi.advanceTimersByTimeAsync(1000);
        await probe;
        expect(outcome).toEqual({
          present: false,
          detail: `nothing answers at ${silent.endpoint.href}: no answer within 1000 ms`,
        });
      }
    } finally {
      await silent.close();
    }
  });

  it("honours a shorter probe timeout", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const silent = await startSilentServer();
    try {
      let outcome: { present: boolean } | undefined;
      const probe = probeImds(silent.endpoint, { timeoutMs: 200 }).then((result) => (outcome = result));
      await vi.advanceTimersByTimeAsync(199);
      expect(outcome).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      await probe;
      expect(outcome).toMatchObject({ present: false });
    } finally {
      await silent.close();
    }
  });
});
