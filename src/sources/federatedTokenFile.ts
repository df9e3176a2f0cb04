import { promises as fs } from "node:fs";
import { AuthenticationError } from "../errors.js";

/** A projected service account token is a JWT of a few kilobytes. */
export const MAX_FEDERATED_TOKEN_BYTES = 64 * 1024;

/**
 * File systems stamp times with a coarse clock (a few ms, up to 2 s on some): a file rewritten in place
 * with a token of the same length within that window keeps its signature. So a read is trusted only
 * when the file was last modified longer ago than this before it; otherwise the next call reads again.
 */
const TIMESTAMP_GRANULARITY_MS = 2000;

interface CachedToken {
  /** Device, inode, size, change and modification times: a rewrite or a swapped symlink changes it. */
  signature: string;
  token: string;
  /** Whether the signature can be trusted to change with the content (see above). */
  settled: boolean;
}

// Keyed by path: the file's content is the same for every credential that reads it.
const cache = new Map<string, CachedToken>();

function unreadable(path: string, why: string): AuthenticationError {
  return new AuthenticationError(
    `Workload identity: cannot use the federated token file '${path}': ${why}. Check the pod's service account token projection (the azure.workload.identity/use label and the webhook).`,
    undefined,
    undefined,
    "federated-token-file",
  );
}

/**
 * The federated token in `path`, read again only when the file has changed since the last read
 * (the kubelet rotates it, by swapping a symlink or rewriting it), so a token request costs one `stat`.
 * A file modified within the last two seconds before a read is read again next time, whatever its
 * signature says.
 * @internal
 */
export async function readFederatedToken(path: string): Promise<string> {
  let stat;
  try {
    stat = await fs.stat(path, { bigint: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw unreadable(path, code === "ENOENT" ? "it does not exist" : `it cannot be read (${code})`);
  }
  if (!stat.isFile()) throw unreadable(path, "it is not a regular file");
  // A regular file of size 0 is empty, or not a real file at all: /proc/self/environ reports 0 and would
  // hand the process's environment over as the assertion.
  if (stat.size === 0n) throw unreadable(path, "its size is 0 (empty, or not a real file such as /proc/self/environ)");
  if (stat.size > MAX_FEDERATED_TOKEN_BYTES)
    throw unreadable(path, `it is larger than ${MAX_FEDERATED_TOKEN_BYTES} bytes`);

  const signature = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
  const cached = cache.get(path);
  if (cached?.settled && cached.signature === signature) return cached.token;

  let token: string;
  try {
    token = (await fs.readFile(path, "utf8")).trim();
  } catch (error) {
    throw unreadable(path, `it cannot be read (${(error as NodeJS.ErrnoException).code})`);
  }
  if (token.length === 0) throw unreadable(path, "it is empty");
  const settled = Date.now() - Number(stat.mtimeNs / 1_000_000n) > TIMESTAMP_GRANULARITY_MS;
  cache.set(path, { signature, token, settled });
  return token;
}
