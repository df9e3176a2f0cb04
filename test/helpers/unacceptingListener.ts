import net from "node:net";
import { Worker } from "node:worker_threads";

/** A loopback port where a TCP connect hangs: its accept queue is full, so Linux drops every new SYN. */
export interface HangingConnectEndpoint {
  /** `http://127.0.0.1:port` */
  origin: string;
  port: number;
  close(): Promise<void>;
}

// The listener lives in a worker thread whose event loop is blocked (Atomics.wait), so nothing ever calls accept()
// (Node accepts at once on its own loop). With a backlog of 1 the kernel queues two handshakes; the fillers take
// them, and from then on the kernel drops each SYN (net.ipv4.tcp_abort_on_overflow=0, the default): the client
// stays "connecting", as with a network that silently drops packets to 169.254.169.254.
const LISTENER = `
const net = require("node:net");
const { parentPort, workerData } = require("node:worker_threads");
const server = net.createServer();
server.on("error", (error) => parentPort.postMessage({ error: error.message }));
server.listen({ host: "127.0.0.1", port: workerData.port, backlog: 1 }, () => {
  parentPort.postMessage({ port: server.address().port });
  Atomics.wait(workerData.release, 0, 0);
  server.close();
});
`;

/** Connects until one connect does not complete within `ms`: the queue is full. */
async function fillAcceptQueue(port: number, fillers: net.Socket[]): Promise<void> {
  for (let i = 0; i < 16; i++) {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => undefined);
    fillers.push(socket);
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) return;
  }
  throw new Error("the accept queue never filled: connects to a full listener are not dropped here");
}

/**
 * Starts a loopback listener whose connects hang (on `port`, or any free one). Call it before any fake timers:
 * it waits for real connects to fill the queue.
 */
export async function startHangingConnectEndpoint(port = 0): Promise<HangingConnectEndpoint> {
  const release = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(LISTENER, { eval: true, workerData: { port, release } });
  const started = await new Promise<{ port?: number; error?: string }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  if (started.port === undefined) {
    await worker.terminate();
    throw new Error(`the hanging listener did not start: ${started.error}`);
  }
  const fillers: net.Socket[] = [];
  const close = async (): Promise<void> => {
    for (const socket of fillers) socket.destroy();
    Atomics.store(release, 0, 1);
    Atomics.notify(release, 0);
    await worker.terminate();
  };
  try {
    await fillAcceptQueue(started.port, fillers);
  } catch (error) {
    await close();
    throw error;
  }
  return { origin: `http://127.0.0.1:${started.port}`, port: started.port, close };
}
