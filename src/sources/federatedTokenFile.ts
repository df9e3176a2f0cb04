import { AuthenticationError } from "../errors.js";
import type { AbortSignalLike } from "../shared/abort.js";
import { FileRefusedError, readBoundedFile } from "../shared/boundedFile.js";

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
 * (the kubelet rotates it, by swapping a symlink or rewriting it), so a token request costs one open and one
 * `fstat`. The file is opened once, checked and read from that descriptor (a regular file of at most 64 KiB, as
 * the Arc challenge file is read). A file modified within the last two seconds before a read is read again next
 * time, whatever its signature says.
 * @param signal - ends the wait for the file (the call's abort or deadline)
 * @internal
 */
export async function readFederatedToken(path: string, signal?: AbortSignalLike): Promise<string> {
  let signature = "";
  let settled = false;
  let cached: CachedToken | undefined;
  let content: Buffer | undefined;
  try {
    ({ content } = await readBoundedFile(path, {
      maxBytes: MAX_FEDERATED_TOKEN_BYTES,
      signal,
      beforeRead(stat) {
        // A regular file of size 0 is empty, or not a real file at all: /proc/self/environ reports 0 and would
        // hand the process's environment over as the assertion.
        if (stat.size === 0n)
          throw unreadable(path, "its size is 0 (empty, or not a real file such as /proc/self/environ)");
        signature = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
        settled = Date.now() - Number(stat.mtimeNs / 1_000_000n) > TIMESTAMP_GRANULARITY_MS;
        cached = cache.get(path);
        return !(cached?.settled && cached.signature === signature);
      },
    }));
  } catch (error) {
    if (!(error instanceof FileRefusedError)) throw error;
    const { refusal } = error;
    if (refusal.reason === "not-a-file") throw unreadable(path, "it is not a regular file");
    if (refusal.reason === "too-large") throw unreadable(path, `it is larger than ${MAX_FEDERATED_TOKEN_BYTES} bytes`);
    if (refusal.reason === "open" && refusal.code === "ENOENT") throw unreadable(path, "it does not exist");
    throw unreadable(path, `it cannot be read (${refusal.code})`);
  }
  if (content === undefined) return cached!.token;
  const token = content.toString("utf8").trim();
  content.fill(0);
  if (token.length === 0) throw unreadable(path, "it is empty");
  cache.set(path, { signature, token, settled });
  return token;
}
