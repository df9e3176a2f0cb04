import type { BigIntStats } from "node:fs";
import { constants, promises as fs } from "node:fs";
import { type AbortSignalLike, createAbortError } from "./abort.js";

/**
 * Why a file was not read: it could not be opened (`code`: ENOENT, EACCES, ELOOP, …), is not a regular file,
 * is larger than allowed, or could not be read.
 * @internal
 */
export type FileRefusal =
  | { reason: "open"; code: string | undefined }
  | { reason: "not-a-file" }
  | { reason: "too-large"; maxBytes: number }
  | { reason: "read"; code: string | undefined };

/**
 * A file {@link readBoundedFile} refused; each caller turns it into its own error, in its own words.
 * @internal
 */
export class FileRefusedError extends Error {
  constructor(readonly refusal: FileRefusal) {
    super(`file refused: ${refusal.reason}`);
    this.name = "FileRefusedError";
  }
}

/** Options of {@link readBoundedFile}. @internal */
export interface BoundedFileOptions {
  /** The most bytes the file may hold. */
  maxBytes: number;
  /** Refuse a path whose last component is a symbolic link (the Arc challenge file, checked before the open). */
  noFollow?: boolean;
  /** Ends the wait (the try's deadline, the caller's abort): a stuck file system cannot hold the call. */
  signal?: AbortSignalLike;
  /**
   * Looks at the opened file before its content is read: returns `false` to skip the read (the content is known
   * already), throws to refuse it.
   */
  beforeRead?(stat: BigIntStats): boolean;
}

// O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer (a blocked open would hold one of
// libuv's four pool threads for good); the fstat below then refuses it.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

async function readOpened(path: string, options: BoundedFileOptions) {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, OPEN_FLAGS | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0));
  } catch (error) {
    throw new FileRefusedError({ reason: "open", code: errnoOf(error) });
  }
  try {
    // The checks and the read are on the same descriptor: swapping the path in between gains nothing.
    const stat = await handle.stat({ bigint: true });
    if (!stat.isFile()) throw new FileRefusedError({ reason: "not-a-file" });
    if (stat.size > BigInt(options.maxBytes))
      throw new FileRefusedError({ reason: "too-large", maxBytes: options.maxBytes });
    if (options.beforeRead?.(stat) === false) return { stat, content: undefined };
    // One byte more than allowed: a file that grew after the fstat is caught too.
    const buffer = Buffer.alloc(options.maxBytes + 1);
    let length = 0;
    try {
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length === buffer.length) break;
      }
    } catch (error) {
      buffer.fill(0);
      throw new FileRefusedError({ reason: "read", code: errnoOf(error) });
    }
    if (length > options.maxBytes) {
      buffer.fill(0);
      throw new FileRefusedError({ reason: "too-large", maxBytes: options.maxBytes });
    }
    return { stat, content: buffer.subarray(0, length) };
  } finally {
    await handle.close();
  }
}

/**
 * Reads a small file that must be a regular file of at most `maxBytes`: opened once (never blocking on a FIFO),
 * checked and read from that one descriptor, never more than `maxBytes + 1` bytes. The Arc challenge file, the
 * federated token file and the AKS token proxy's CA file are all read here. The content is a `Buffer` the caller
 * may zero once it has taken what it needs (a secret); `undefined` when `beforeRead` skipped the read.
 * @throws {@link FileRefusedError}, what `beforeRead` throws, or an `AbortError` when `signal` ends the wait.
 * @internal
 */
export function readBoundedFile(
  path: string,
  options: BoundedFileOptions,
): Promise<{ stat: BigIntStats; content: Buffer | undefined }> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(createAbortError());
  const reading = readOpened(path, options);
  if (signal === undefined) return reading;
  return new Promise((resolve, reject) => {
    // The read goes on in the background and closes its descriptor; the caller stops waiting.
    const onAbort = (): void => reject(createAbortError());
    signal.addEventListener("abort", onAbort);
    reading
      .then((result) => {
        // Too late: nobody takes the content, so a secret does not linger in it.
        if (signal.aborted) result.content?.fill(0);
        resolve(result);
      }, reject)
      .finally(() => signal.removeEventListener("abort", onAbort));
  });
}
