// Issue 21 §2: an explicit ImdsCredential gives up fast off Azure. IMDS is on the host and accepts a TCP
// connection at once; a connect that hangs is a network that drops packets to 169.254.169.254 (off Azure).
// Time is counted with fake timers, never by the wall clock.
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { ChainedTokenCredential } from "@azure/identity";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthenticationError, CredentialUnavailableError, ImdsCredential } from "../../src/index.js";
import { startHangingConnectEndpoint, type HangingConnectEndpoint } from "../helpers/unacceptingListener.js";
import { startTokenServer, tokenAnswer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const OTHER_SCOPE = "https://storage.azure.com/.default";

/** Settles `promise` into a box read without awaiting it. */
function watch<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const box: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(box, { settled: true, value }),
    (error: unknown) => Object.assign(box, { settled: true, error }),
  );
  return box;
}

describe("ImdsCredential's connect bound", () => {
  const cleanups: Array<() => Promise<void>> = [];
  const track = <T extends { close(): Promise<void> }>(resource: T): T => {
    cleanups.push(() => resource.close());
    return resource;
  };

  afterEach(async () => {
    vi.useRealTimers();
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  it("the test's endpoint really hangs on connect (a full accept queue drops the SYN)", async () => {
    const hanging = track(await startHangingConnectEndpoint());
    const { default: net } = await import("node:net");
    const socket = net.connect(hanging.port, "127.0.0.1");
    socket.on("error", () => undefined);
    const connected = await new Promise<boolean>((resolve) => {
      socket.once("connect", () => resolve(true));
      setTimeout(() => resolve(false), 500);
    });
    socket.destroy();
    expect(connected).toBe(false);
  });

  it("is unavailable at the 1 s default when IMDS has never answered, without a retry", async () => {
    const hanging = track(await startHangingConnectEndpoint());
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const credential = new ImdsCredential({ endpoint: hanging.origin });

    const call = watch(credential.getToken(SCOPE));
    await vi.advanceTimersByTimeAsync(999);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(call.settled).toBe(true));

    expect(call.error).toBeInstanceOf(CredentialUnavailableError);
    expect(call.error).toMatchObject({ name: "CredentialUnavailableError", code: "unreachable" });
    expect((call.error as Error).message).toMatch(
      new RegExp(`^IMDS: no connection to ${hanging.origin}/metadata/identity/oauth2/token within 1000 ms`),
    );
    expect((call.error as Error).message).toContain("connectTimeoutInMs");
    // Nothing left waiting: no retry's back-off, no try timer.
    expect(vi.getTimerCount()).toBe(0);
  });

  it("takes connectTimeoutInMs", async () => {
    const hanging = track(await startHangingConnectEndpoint());
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const credential = new ImdsCredential({ endpoint: hanging.origin, connectTimeoutInMs: 250 });

    const call = watch(credential.getToken(SCOPE));
    await vi.advanceTimersByTimeAsync(249);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(call.settled).toBe(true));
    expect(call.error).toMatchObject({ name: "CredentialUnavailableError", code: "unreachable" });
    expect((call.error as Error).message).toContain("within 250 ms");
  });

  it("with connectTimeoutInMs 0 has no connect bound: the try timeout and the retries rule, as before", async () => {
    const hanging = track(await startHangingConnectEndpoint());
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const credential = new ImdsCredential({
      endpoint: hanging.origin,
      connectTimeoutInMs: 0,
      retryOptions: { tryTimeoutInMs: 2_000, maxRetries: 0 },
    });

    const call = watch(credential.getToken(SCOPE));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(call.settled).toBe(true));
    expect(call.error).toBeInstanceOf(AuthenticationError);
    expect(call.error).toMatchObject({ code: "timeout" });
  });

  it("after IMDS has answered once, a connect that hangs is transient: retried, then an AuthenticationError", async () => {
    // IMDS answers one token, then goes silent on the same port: its connects now hang.
    const imds = await startTokenServer(() => tokenAnswer("imds-token"));
    const credential = new ImdsCredential({
      endpoint: imds.origin,
      retryOptions: { maxRetries: 2, retryDelayInMs: 0 },
    });
    await expect(credential.getToken(SCOPE)).resolves.toMatchObject({ token: "imds-token" });
    await imds.close();
    let hanging: HangingConnectEndpoint;
    // The port was just freed; another process may take it between close and listen (rare): try again then.
    try {
      hanging = track(await startHangingConnectEndpoint(imds.port));
    } catch {
      hanging = track(await startHangingConnectEndpoint(imds.port));
    }
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });

    const call = watch(credential.getToken(OTHER_SCOPE));
    // Three tries of 1 s each: not given up at the first.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(call.settled).toBe(true));
    expect(call.error).toBeInstanceOf(AuthenticationError);
    expect(call.error).toMatchObject({ code: "network" });
    expect((call.error as Error).message).toContain("no connection within 1000 ms");
    expect(hanging.port).toBe(imds.port);
  });

  it("after IMDS has answered once, a refused connection is transient too; before, it is unavailable at once", async () => {
    const imds = await startTokenServer(() => tokenAnswer("imds-token"));
    const port = imds.port;
    const credential = new ImdsCredential({
      endpoint: imds.origin,
      retryOptions: { maxRetries: 2, retryDelayInMs: 0 },
    });
    await credential.getToken(SCOPE);
    await imds.close();

    const error = await credential.getToken(OTHER_SCOPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ code: "network" });
    expect((error as Error).message).toContain("ECONNREFUSED");

    const fresh = await new ImdsCredential({ endpoint: `http://127.0.0.1:${port}` })
      .getToken(SCOPE)
      .catch((e: unknown) => e);
    expect(fresh).toBeInstanceOf(CredentialUnavailableError);
    expect(fresh).toMatchObject({ code: "unreachable" });
  });

  it("a connection that is made and then hangs keeps the try timeout and the retries", async () => {
    // Accepts, reads, never answers.
    const server = http.createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const connections = { count: 0 };
    server.on("connection", () => connections.count++);
    track({
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const credential = new ImdsCredential({
      endpoint: origin,
      retryOptions: { tryTimeoutInMs: 5_000, maxRetries: 1, retryDelayInMs: 0 },
    });

    const call = watch(credential.getToken(SCOPE));
    await vi.waitFor(() => expect(connections.count).toBe(1));
    // Well past the connect bound: the connection was made, so it does not apply.
    await vi.advanceTimersByTimeAsync(4_999);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(connections.count).toBe(2));
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    await vi.waitFor(() => expect(call.settled).toBe(true));
    expect(call.error).toBeInstanceOf(AuthenticationError);
    expect(call.error).toMatchObject({ code: "timeout" });
  });

  it("a process that gets no CPU past the bound still takes the connection the kernel made meanwhile", async () => {
    // A start storm (issue 22) or a resumed VM: the process is not scheduled for longer than the bound while
    // the kernel completes the loopback handshake. Node runs due timers before it polls the sockets, so the
    // bound must not decide before that poll (the 250-process storm lost 16 processes to it as "unreachable").
    const server = track(await startTokenServer(() => tokenAnswer("after-a-stall")));
    const stalls: boolean[] = [];
    const onSocket = (message: unknown): void => {
      const socket = (message as { socket: import("node:net").Socket }).socket;
      // The second tick runs after the one in which net issues connect() for an IP literal: the SYN is out.
      process.nextTick(() =>
        process.nextTick(() => {
          stalls.push(socket.connecting);
          // No CPU for four times the bound: the timer is due before Node sees the connection.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
        }),
      );
    };
    const { default: diagnostics } = await import("node:diagnostics_channel");
    diagnostics.subscribe("net.client.socket", onSocket);
    try {
      const credential = new ImdsCredential({ endpoint: server.origin, connectTimeoutInMs: 50 });
      const token = await credential.getToken(SCOPE);
      expect(token?.token).toBe("after-a-stall");
    } finally {
      diagnostics.unsubscribe("net.client.socket", onSocket);
    }
    // The stall happened while Node still saw the socket connecting, once, and one request reached IMDS.
    expect(stalls).toEqual([true]);
    expect(server.requests).toHaveLength(1);
  });

  it("lets @azure/identity's ChainedTokenCredential reach the next credential", async () => {
    const hanging = track(await startHangingConnectEndpoint());
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const fallback: TokenCredential = {
      getToken: vi.fn(async (): Promise<AccessToken> => ({
        token: "developer-token",
        expiresOnTimestamp: Date.now() + 3_600_000,
      })),
    };
    const chain = new ChainedTokenCredential(new ImdsCredential({ endpoint: hanging.origin }), fallback);

    const call = watch(chain.getToken(SCOPE));
    await vi.advanceTimersByTimeAsync(999);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(call.settled).toBe(true));
    expect(call.error).toBeUndefined();
    expect(call.value).toMatchObject({ token: "developer-token" });
    expect(fallback.getToken).toHaveBeenCalledTimes(1);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, "1000"])(
    "refuses connectTimeoutInMs %s with a TypeError naming it",
    (value) => {
      expect(() => new ImdsCredential({ connectTimeoutInMs: value as number })).toThrow(
        new TypeError(
          `connectTimeoutInMs must be a whole number from 0 to 2147483647, not ${typeof value === "number" ? String(value) : "string"}.`,
        ),
      );
    },
  );
});
