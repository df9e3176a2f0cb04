// responseBodyPolicy reads the answer itself and refuses one above 1 MiB without holding it whole.
import type http from "node:http";
import {
  createDefaultHttpClient,
  createEmptyPipeline,
  createPipelineRequest,
  type PipelineRequest,
  RestError,
} from "@azure/core-rest-pipeline";
import { afterEach, describe, expect, it } from "vitest";
import { AuthenticationError, ImdsCredential, responseBodyPolicy } from "../../src/index.js";
import { startTokenServer, type TokenServer } from "../helpers/tokenServer.js";

const MiB = 1024 * 1024;
const servers: TokenServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** What the server side saw of one streamed answer. */
interface Stream {
  written: number;
  closedEarly: boolean;
}

/**
 * A server whose answer is `total` bytes, chunked (no Content-Length) unless `declared` is given;
 * it writes as fast as the client reads, and records how much it wrote before the client hung up.
 */
async function streamingServer(total: number, declared?: number): Promise<{ server: TokenServer; stream: Stream }> {
  const stream: Stream = { written: 0, closedEarly: false };
  const chunk = Buffer.alloc(64 * 1024, "a");
  const server = await startTokenServer((_, { res }: { res: http.ServerResponse }) => {
    res.on("close", () => (stream.closedEarly = !res.writableFinished));
    res.writeHead(200, declared === undefined ? {} : { "Content-Length": String(declared) });
    const pump = (): void => {
      while (!res.destroyed && stream.written < total) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - stream.written));
        stream.written += piece.length;
        if (!res.write(piece)) {
          res.once("drain", pump);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    pump();
    return undefined;
  });
  servers.push(server);
  return { server, stream };
}

async function send(server: TokenServer, maxBytes?: number) {
  const pipeline = createEmptyPipeline();
  pipeline.addPolicy(responseBodyPolicy(maxBytes));
  const request: PipelineRequest = createPipelineRequest({ url: server.origin, allowInsecureConnection: true });
  return { request, result: await pipeline.sendRequest(createDefaultHttpClient(), request).catch((e: unknown) => e) };
}

describe("responseBodyPolicy", () => {
  it("refuses a declared Content-Length above 1 MiB before reading the body", async () => {
    // The body never comes: a policy that tried to read it would wait forever.
    const server = await startTokenServer((_, { res }) => {
      res.writeHead(200, { "Content-Length": String(MiB + 1) });
      res.write("{");
      return undefined;
    });
    servers.push(server);
    const { result } = await send(server);
    expect(result).toBeInstanceOf(RestError);
    expect(result).toMatchObject({ code: "RESPONSE_TOO_LARGE", statusCode: 200 });
    expect((result as Error).message).toMatch(/larger than 1048576 bytes/);
  });

  it("stops reading a chunked answer as soon as it passes 1 MiB and hangs up", async () => {
    const { server, stream } = await streamingServer(512 * MiB);
    const { result } = await send(server);
    expect(result).toMatchObject({ code: "RESPONSE_TOO_LARGE" });
    await expect.poll(() => stream.closedEarly).toBe(true);
    // What the server managed to write is the 1 MiB read plus what the socket buffers held.
    expect(stream.written).toBeLessThan(64 * MiB);
  });

  it("hangs up on a declared 8 MiB answer without reading it", async () => {
    const { server, stream } = await streamingServer(8 * MiB, 8 * MiB);
    const { result } = await send(server);
    expect(result).toMatchObject({ code: "RESPONSE_TOO_LARGE" });
    await expect.poll(() => stream.closedEarly).toBe(true);
  });

  it.each([
    ["chunked", undefined],
    ["with Content-Length", MiB],
  ])("accepts an answer of exactly 1 MiB (%s) as text", async (_, declared) => {
    const { server } = await streamingServer(MiB, declared);
    const { request, result } = await send(server);
    expect(result).toMatchObject({ status: 200 });
    const response = result as { bodyAsText?: string; readableStreamBody?: unknown };
    expect(response.bodyAsText).toHaveLength(MiB);
    expect(response.readableStreamBody).toBeUndefined();
    // The request is given back as it came: no stream-every-status setting left on it.
    expect(request.streamResponseStatusCodes).toBeUndefined();
  });

  it("takes a smaller limit: exactly the limit passes, one byte more does not", async () => {
    const at = await streamingServer(100);
    expect((await send(at.server, 100)).result).toMatchObject({ bodyAsText: "a".repeat(100) });
    const over = await streamingServer(101);
    expect((await send(over.server, 100)).result).toMatchObject({ code: "RESPONSE_TOO_LARGE" });
  });

  it("makes a credential fail at once with a clear AuthenticationError, without a retry", async () => {
    const { server } = await streamingServer(512 * MiB);
    const credential = new ImdsCredential({ endpoint: server.origin, retryOptions: { tryTimeoutInMs: 10_000 } });
    const error = await credential.getToken("https://vault.azure.net/.default").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/larger than 1048576 bytes/);
    expect(server.requests).toHaveLength(1);
  });
});
