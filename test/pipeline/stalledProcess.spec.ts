// Issue 22: in a start storm a process may get no CPU for longer than a time limit while the kernel receives its
// answer. Node runs due timers before it polls the sockets, so a limit decided in its timer failed a try whose
// whole answer was already there (the chain's 1 s IMDS probe then says "no IMDS here"). The IMDS stand-in runs in
// a worker thread, so it answers while this thread is stalled (Atomics.wait); nothing here reads a clock.
import diagnostics from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { detectManagedIdentity, ImdsCredential } from "../../src/index.js";

const SCOPE = "https://vault.azure.net/.default";

// Answers a token request (with the Metadata header) with a token, and the probe (without it) with IMDS's 400.
const IMDS = `
const http = require("node:http");
const { parentPort, workerData } = require("node:worker_threads");
let requests = 0;
const server = http.createServer((req, res) => {
  requests++;
  parentPort.postMessage({ requests });
  // Tells the stalled main thread that the answer is with the kernel (its message would wait for its event loop).
  res.on("finish", () => {
    Atomics.add(workerData.answered, 0, 1);
    Atomics.notify(workerData.answered, 0);
  });
  if (req.headers.metadata !== "true") {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "invalid_request", error_description: "Required metadata header not specified" }));
    return;
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ access_token: "after-a-stall", expires_in: "3600", expires_on: String(Math.floor(Date.now() / 1000) + 3600), token_type: "Bearer", resource: "https://vault.azure.net" }));
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
`;

let worker: Worker;
let origin: string;
let requests = 0;
/** How many answers the IMDS thread has handed to the kernel. */
const answered = new Int32Array(new SharedArrayBuffer(4));

beforeAll(async () => {
  worker = new Worker(IMDS, { eval: true, workerData: { answered } });
  worker.on("message", (message: { requests?: number }) => {
    if (message.requests !== undefined) requests = message.requests;
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("message", (message: { port: number }) => resolve(message.port));
    worker.once("error", reject);
  });
  origin = `http://127.0.0.1:${port}`;
});
afterAll(() => worker.terminate());

/**
 * While `run` goes on, each HTTP request stalls this thread once it is sent, as a starved process: until the IMDS
 * thread has answered (however loaded the machine), then `ms` more, past the time limit under test.
 */
async function stallingAfterEachRequest<T>(ms: number, run: () => Promise<T>): Promise<{ result: T; stalls: number }> {
  let stalls = 0;
  const onStart = (message: unknown): void => {
    const request = (message as { request: ClientRequest }).request;
    const answersBefore = Atomics.load(answered, 0);
    request.once("finish", () => {
      stalls++;
      Atomics.wait(answered, 0, answersBefore, 30_000);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    });
  };
  diagnostics.subscribe("http.client.request.start", onStart);
  try {
    return { result: await run(), stalls };
  } finally {
    diagnostics.unsubscribe("http.client.request.start", onStart);
  }
}

describe("a process stalled past a time limit while its answer arrived", () => {
  it("ImdsCredential takes the answer instead of failing the try", async () => {
    const before = requests;
    const credential = new ImdsCredential({
      endpoint: origin,
      retryOptions: { tryTimeoutInMs: 100, maxRetries: 0 },
    });
    const { result, stalls } = await stallingAfterEachRequest(200, () => credential.getToken(SCOPE));
    expect(stalls).toBe(1);
    expect(result?.token).toBe("after-a-stall");
    // The worker counts as it answers; its messages come in order, so a retry would show before this one.
    await vi.waitFor(() => expect(requests - before).toBe(1));
  });

  it("the IMDS probe finds IMDS instead of reporting no answer", async () => {
    const before = requests;
    const { result, stalls } = await stallingAfterEachRequest(200, () =>
      detectManagedIdentity({ env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin }, probeTimeoutMs: 100 }),
    );
    expect(stalls).toBe(1);
    expect(result).toMatchObject({ source: "imds" });
    await vi.waitFor(() => expect(requests - before).toBe(1));
  });
});
