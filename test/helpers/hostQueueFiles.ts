import { readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Removes IMDS's host queue files (src/pipeline/imdsHostQueue.ts) from this test process's private temporary
 * folder (test/setup.ts): the next request starts with an empty queue, whatever earlier 429s left there.
 */
export function clearHostQueueFiles(): void {
  const folder = os.tmpdir();
  for (const name of readdirSync(folder)) {
    if (name.startsWith("azure-managed-identity-imds-queue-")) rmSync(path.join(folder, name), { force: true });
  }
}
