import { Worker } from "node:worker_threads";
import type { ImdsThreadRequest } from "./imdsThread.js";
import type { ThrottleSettings } from "./throttledImds.js";

/** What the storm's IMDS saw since its last reset. */
export interface ImdsStats {
  requests: number;
  tokens: number;
  throttled: number;
  /** The most requests that arrived within any one second. */
  peak: number;
}

/** The storm's throttling IMDS, running in its own thread (bench/storm/imdsThread.ts says why). */
export interface ImdsThread {
  readonly origin: string;
  reset(settings: ThrottleSettings): Promise<void>;
  stats(): Promise<ImdsStats>;
  close(): Promise<void>;
}

/** Starts the storm's IMDS on 127.0.0.1 in a worker thread. */
export async function startImdsThread(initial: ThrottleSettings): Promise<ImdsThread> {
  // The bench runs under tsx, whose loader a worker thread does not inherit on Node 20: the thread registers it.
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./imdsThread.ts", import.meta.url).href;
  const worker = new Worker(
    `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`,
    { eval: true, workerData: initial },
  );
  // One question at a time: each answer is the next message.
  const ask = <T>(message: ImdsThreadRequest | undefined): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      worker.once("error", onError);
      worker.once("message", (answer: T) => {
        worker.off("error", onError);
        resolve(answer);
      });
      if (message !== undefined) worker.postMessage(message);
    });
  const { origin } = await ask<{ origin: string }>(undefined);
  return {
    origin,
    reset: async (settings) => void (await ask({ reset: settings })),
    stats: () => ask<ImdsStats>({ stats: true }),
    close: async () => {
      await ask({ close: true });
      await worker.terminate();
    },
  };
}
