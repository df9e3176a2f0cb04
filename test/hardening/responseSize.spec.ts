// Security review: a response body above 1 MiB is refused without being read whole — by its
// Content-Length before any byte of it, or as soon as the bytes read pass the limit — so an
// endpoint cannot exhaust the memory of the process, nor hang it with an endless body.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ArcCredential, AuthenticationError, ImdsCredential } from "../../src/index.js";
import { makeArcFolders, unguessable } from "../helpers/arcFixture.js";

const SCOPE = "https://vault.azure.net/.default";
const MIB = 1024 * 1024;
// Long enough that a client waiting for the whole body would hit the test's own timeout first.
const SLOW_TRY = { maxRetries: 0, tryTimeoutInMs: 120_000 };

/** A loopback server whose every answer is written by `answer`; counts requests and bytes written. */
interface RawServer {
  origin: string;
  requests: number;
  bytesWritten: number;
  /** Resolves when the client has closed the connection of the last answer. */
  closed: Promise<void>;
  close(): Promise<void>;
}

async function startRawServer(answer: (res: http.ServerResponse, server: RawServer) => void): Promise<RawServer> {
  let markClosed: () => void = () => undefined;
  const state: RawServer = {
    origin: "",
    requests: 0,
    bytesWritten: 0,
    closed: new Promise<void>((resolve) => (markClosed = resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    state.requests++;
    res.on("close", markClosed);
    req.resume();
    req.on("end", () => answer(res, state));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** Writes 64 KiB chunks for as long as the client reads them: a body that never ends. */
function endless(res: http.ServerResponse, server: RawServer): void {
  const chunk = Buffer.alloc(64 * 1024, "a");
  const pump = (): void => {
    while (!res.destroyed && !res.writableEnded) {
      server.bytesWritten += chunk.length;
      if (!res.write(chunk)) {
        res.once("drain", pump);
        return;
      }
    }
  };
  pump();
}

/** A valid token answer of exactly `size` bytes, padded with JSON whitespace. */
function tokenBodyOfSize(size: number): string {
  const body = JSON.stringify({ access_token: "sized-token", expires_in: 3600, token_type: "Bearer" });
  return body.slice(0, -1) + " ".repeat(size - body.length) + "}";
}

describe("response bodies above 1 MiB", () => {
  const servers: RawServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function serve(answer: (res: http.ServerResponse, server: RawServer) => void): Promise<RawServer> {
    const server = await startRawServer(answer);
    servers.push(server);
    return server;
  }

  it("a Content-Length of 2 MiB is refused from the header alone, before the body (which never comes) is read", async () => {
    const server = await serve((res) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(2 * MIB) });
      res.write("{"); // and nothing more: a client that waited for the rest would wait for ever
    });
    const error = await new ImdsCredential({ endpoint: server.origin, retryOptions: SLOW_TRY })
      .getToken(SCOPE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain(`larger than ${MIB} bytes`);
    await server.closed;
  });

  it("an endless chunked 200 body is cut off just past 1 MiB and the connection closed", async () => {
    const server = await serve((res, state) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      endless(res, state);
    });
    const error = await new ImdsCredential({ endpoint: server.origin, retryOptions: SLOW_TRY })
      .getToken(SCOPE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain(`larger than ${MIB} bytes`);
    await server.closed;
    // What the server could push into the socket buffers before the client hung up: a few MiB at most.
    expect(server.bytesWritten).toBeLessThan(16 * MIB);
  });

  it("an endless error answer is cut off too, and not retried", async () => {
    const server = await serve((res, state) => {
      res.writeHead(503, { "Content-Type": "text/plain" });
      endless(res, state);
    });
    const credential = new ImdsCredential({
      endpoint: server.origin,
      retryOptions: { ...SLOW_TRY, maxRetries: 3, retryDelayInMs: 1 },
    });
    const error = await credential.getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain(`larger than ${MIB} bytes`);
    expect(server.requests).toBe(1);
  });

  for (const chunked of [false, true]) {
    const how = chunked ? "chunked" : "with Content-Length";
    it(`${how}: a token answer of exactly 1 MiB is taken, one byte more is refused`, async () => {
      for (const [size, ok] of [
        [MIB, true],
        [MIB + 1, false],
      ] as const) {
        const body = tokenBodyOfSize(size);
        expect(Buffer.byteLength(body)).toBe(size);
        const server = await serve((res) => {
          res.writeHead(
            200,
            chunked
              ? { "Content-Type": "application/json" }
              : { "Content-Type": "application/json", "Content-Length": String(size) },
          );
          res.end(body);
        });
        const result = new ImdsCredential({ endpoint: server.origin, retryOptions: SLOW_TRY }).getToken(SCOPE);
        if (ok) await expect(result).resolves.toMatchObject({ token: "sized-token" });
        else await expect(result).rejects.toThrow(`larger than ${MIB} bytes`);
      }
    });
  }

  it("Arc: a challenge whose 401 body is endless is refused before the challenge file is read or sent", async () => {
    const arc = await makeArcFolders();
    try {
      const secret = unguessable("arc-secret");
      const key = await arc.write("big.key", secret);
      const authorizations: (string | undefined)[] = [];
      const server = await serve((res, state) => {
        authorizations.push(res.req.headers["authorization"]);
        res.writeHead(401, { "WWW-Authenticate": `Basic realm=${key}` });
        endless(res, state);
      });
      const credential = new ArcCredential({
        endpoint: `${server.origin}/token`,
        tokenFolder: arc.folder,
        retryOptions: SLOW_TRY,
      });
      await expect(credential.getToken(SCOPE)).rejects.toThrow(`larger than ${MIB} bytes`);
      expect(authorizations).toEqual([undefined]);
    } finally {
      await arc.remove();
    }
  });
});
