import { promises as fs } from "node:fs";
import path from "node:path";

/** The federated (service account) token file the emulator writes for workload identity. @internal */
export interface FederatedTokenFile {
  /** The file's path: `AZURE_FEDERATED_TOKEN_FILE`. */
  path: string;
  /** The token it holds, the one the Entra endpoint accepts as `client_assertion`. */
  token: string;
  /** Removes the file. */
  close(): Promise<void>;
}

/**
 * Writes the token to `azure-identity-token` in the given folder (the file 0600), as the kubelet projects a
 * service account token into a pod; removed on close.
 * @internal
 */
export async function writeFederatedTokenFile(folder: string, token: string): Promise<FederatedTokenFile> {
  const file = path.join(folder, "azure-identity-token");
  await fs.writeFile(file, token, { mode: 0o600 });
  return { path: file, token, close: () => fs.rm(file, { force: true }) };
}
