import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

/** The federated (service account) token file the emulator writes for workload identity. @internal */
export interface FederatedTokenFile {
  /** The file's path: `AZURE_FEDERATED_TOKEN_FILE`. */
  path: string;
  /** The token it holds, the one the Entra endpoint accepts as `client_assertion`. */
  token: string;
  /** Removes the file and its private folder. */
  close(): Promise<void>;
}

/**
 * Writes the token to `token` in a new private folder (mode 0700, the file 0600), as the kubelet projects a
 * service account token into a pod; removed on close.
 * @internal
 */
export async function writeFederatedTokenFile(token: string): Promise<FederatedTokenFile> {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), "azure-managed-identity-emulator-wi-"));
  const file = path.join(folder, "azure-identity-token");
  await fs.writeFile(file, token, { mode: 0o600 });
  return { path: file, token, close: () => fs.rm(folder, { recursive: true, force: true }) };
}
