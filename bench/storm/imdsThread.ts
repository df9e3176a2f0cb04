// The storm's IMDS in a thread of its own. The harness spawns hundreds of processes at once, and each spawn
// blocks its event loop (fork under load): an IMDS on that loop did not answer for 14–32 s at 250 processes, so
// tries timed out and were retried against an IMDS that never throttles. The real IMDS is off the VM's CPUs and
// answers at once; a thread with its own event loop is the nearest the harness gets.
import os from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { startThrottledImds, type ThrottleSettings } from "./throttledImds.js";

/** What the harness asks the thread. */
export type ImdsThreadRequest = { reset: ThrottleSettings } | { stats: true } | { close: true };

// Above the storm's processes where the system allows it (Linux: this thread alone), as the real IMDS, which no
// process on the VM competes with; otherwise at the harness's niceness.
try {
  os.setPriority(-10);
} catch {
  // Not allowed here: the thread's own event loop is the main part.
}
const imds = await startThrottledImds(workerData as ThrottleSettings);
parentPort!.on("message", async (message: ImdsThreadRequest) => {
  if ("reset" in message) {
    imds.reset(message.reset);
    parentPort!.postMessage({ done: true });
  } else if ("stats" in message) {
    const { requests, tokens, throttled } = imds;
    parentPort!.postMessage({ requests, tokens, throttled, peak: imds.peakPerSecond() });
  } else {
    await imds.close();
    parentPort!.postMessage({ done: true });
    parentPort!.close();
  }
});
parentPort!.postMessage({ origin: imds.origin });
