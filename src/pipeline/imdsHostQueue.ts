import { createHash, randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, unlinkSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * IMDS answers about 20 token requests a second per VM, 5 at once, and 429 beyond. The queue lets 18 a
 * second through, one every 56 ms: room for a timer that fires late on a loaded machine.
 * @internal
 */
export const HOST_QUEUE_SPACING_MS = 56;
/** A queue file not written to for this long has no one waiting in it (no slot reaches that far). */
const IDLE_AFTER_MS = 120_000;
/** A process that found nobody waiting looks again after this long at the earliest. */
const RECHECK_IDLE_AFTER_MS = 1_000;
/** Past this size, the first process that finds the queue empty removes the file (it only grows). */
const ROTATE_AT_BYTES = 64 * 1024;
/**
 * A queue file larger than this is not one this package wrote (a line is under 50 bytes, and the file is
 * removed past 64 KiB): it is not read, and the queue is off.
 */
const MAX_QUEUE_BYTES = 1024 * 1024;
/** How far ahead of this process's clock a line may be: a process delayed between its clock and its write. */
const FUTURE_TOLERANCE_MS = 10_000;

/**
 * A queue of the processes of one host (one user) waiting to ask the same IMDS for a token, in a file of the
 * temporary folder: each process that joins appends the earliest time it may be served; every process reads
 * the same lines in the same order and computes the same schedule, one slot every {@link HOST_QUEUE_SPACING_MS},
 * so they retry one after another instead of all at once. It is only written to after a 429, and only read when a
 * process of this host joined it recently. Anything but this user's own plain file with one name and a sane size
 * (another user's file, a link, a FIFO, a huge file) or anything the file system refuses (no temporary folder, a
 * read-only disk) turns the queue off, and the retry policy falls back to its own jitter.
 * @internal
 */
export interface ImdsHostQueue {
  /**
   * Joins the queue to be served no sooner than `notBeforeMs` from `now`: the milliseconds from `now` to this
   * process's slot, or `undefined` when the queue cannot be used or its slot would be more than `maxWaitMs`
   * away (then nothing is written: a turn that would not be kept must not hold up the others).
   */
  join(now: number, notBeforeMs: number, maxWaitMs: number): number | undefined;
  /**
   * When processes of this host are waiting for IMDS: joins the queue and returns the wait; otherwise, or when
   * the wait would be longer than `maxWaitMs`, 0.
   */
  waitBehindOthers(now: number, maxWaitMs: number): number;
}

interface Line {
  /** The earliest time its process may be served. */
  at: number;
  id: string;
}

/**
 * Opens the queue file, never through a link nor blocking on a FIFO, and keeps it only when it is this user's
 * plain file with a single name (a hard link of another file would be written through) and a sane size.
 */
function openQueue(file: string, flags: number, uid: number): number | undefined {
  const fd = openSync(file, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  try {
    const stat = fstatSync(fd);
    if (stat.isFile() && stat.uid === uid && stat.nlink === 1 && stat.size <= MAX_QUEUE_BYTES) return fd;
  } catch {
    // Checked below: not usable.
  }
  closeQuietly(fd);
  return undefined;
}

/** Closes a descriptor; the queue never throws into a request. */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing left to do with it.
  }
}

/** The lines of the open queue file, read from its start; `undefined` when it grew past its bound meanwhile. */
function readLines(fd: number, now: number): Line[] | undefined {
  const chunks: Buffer[] = [];
  let length = 0;
  // To the end of the file as it is now (others may be appending), in pieces: never more than the bound.
  for (let read = -1; read !== 0 && length <= MAX_QUEUE_BYTES; length += read) {
    const chunk = Buffer.allocUnsafe(16 * 1024);
    read = readSync(fd, chunk, 0, chunk.length, length);
    chunks.push(chunk.subarray(0, read));
  }
  if (length > MAX_QUEUE_BYTES) return undefined;
  return Buffer.concat(chunks, length)
    .toString("utf8")
    .split("\n")
    .flatMap((line) => {
      const [at, id, joined] = line.split(" ");
      const time = Number(at);
      // Joined far in the future: written before the clock was set back, it would hold everyone up. (Its
      // earliest time may well be in the future: a Retry-After.)
      const joinedAt = joined === undefined ? time : Number(joined);
      return id !== undefined && Number.isFinite(time) && joinedAt <= now + FUTURE_TOLERANCE_MS
        ? [{ at: time, id }]
        : [];
    });
}

/** The slot of every line: its earliest time, or one spacing after the slot before it if that is later. */
function schedule(lines: readonly Line[]): number[] {
  const slots: number[] = [];
  let previous = -Infinity;
  for (const line of lines) {
    previous = Math.max(line.at, previous + HOST_QUEUE_SPACING_MS);
    slots.push(previous);
  }
  return slots;
}

/**
 * The queue for one IMDS endpoint (its origin) in `folder`, or `undefined` when the platform has no user id
 * to keep other users' files apart (Windows).
 * @internal
 */
export function imdsHostQueue(origin: string, folder: string = os.tmpdir()): ImdsHostQueue | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  const key = createHash("sha256").update(origin).digest("hex").slice(0, 16);
  const file = path.join(folder, `azure-managed-identity-imds-queue-${uid}-${key}`);

  const join = (now: number, notBeforeMs: number, maxWaitMs: number): number | undefined => {
    const id = randomBytes(8).toString("hex");
    // A line holds the earliest time its process may be served: one spacing after it joined (a process alone
    // waits that long), or its Retry-After (honoured to the millisecond when nobody is ahead).
    const from = now + Math.max(notBeforeMs, HOST_QUEUE_SPACING_MS);
    try {
      // One descriptor for the checks, the write and the reads: the path is never looked up again.
      const fd = openQueue(file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, uid);
      if (fd === undefined) return undefined;
      try {
        const before = readLines(fd, now);
        if (before === undefined) return undefined;
        // Where this process would go: past what it may wait, it backs off on its own and writes nothing.
        const last = schedule(before).at(-1) ?? -Infinity;
        if (Math.max(from, last + HOST_QUEUE_SPACING_MS) - now > maxWaitMs) return undefined;
        // One write of one short line with O_APPEND: lines of processes joining together never interleave.
        writeSync(fd, `${from} ${id} ${now}\n`);
        // This process may have been off the CPU since `now` (a start storm): read the others' lines, and
        // count the wait, from the time it is now.
        const read = Math.max(now, Date.now());
        const lines = readLines(fd, read);
        const index = lines?.findIndex((line) => line.id === id) ?? -1;
        if (lines === undefined || index < 0) return undefined;
        const mine = schedule(lines)[index]!;
        // Others joined between the look above and the write: too far now. The line costs the others one spacing.
        if (mine - read > maxWaitMs) return undefined;
        // Nobody waits ahead of this process nor joined after it, and the file has grown: the next process
        // starts a new one (this very file, not one another process has just put in its place).
        if (index === lines.length - 1 && last <= read && fstatSync(fd).size > ROTATE_AT_BYTES) {
          const here = lstatSync(file);
          const open = fstatSync(fd);
          if (here.ino === open.ino && here.dev === open.dev) unlinkSync(file);
        }
        return Math.max(0, mine - read);
      } finally {
        closeQuietly(fd);
      }
    } catch {
      return undefined;
    }
  };

  /** When the file system last said that nobody waits: asked again at most once a second. */
  let idleSince: number | undefined;
  return {
    join,
    waitBehindOthers(now, maxWaitMs) {
      if (idleSince !== undefined && now >= idleSince && now - idleSince < RECHECK_IDLE_AFTER_MS) return 0;
      idleSince = now;
      let fd: number | undefined;
      try {
        // The common case, IMDS never throttled here: one open of a file that does not exist, once a second.
        fd = openQueue(file, constants.O_RDONLY, uid);
        // Idle unless written to within the longest wait a line can stand for.
        if (fd === undefined || fstatSync(fd).mtimeMs < now - Math.max(IDLE_AFTER_MS, maxWaitMs)) return 0;
        const last = schedule(readLines(fd, now) ?? []).at(-1);
        if (last === undefined || last <= now) return 0;
        idleSince = undefined;
      } catch {
        // No file (ENOENT), or one the file system refuses: nobody waits that this process can see.
        return 0;
      } finally {
        if (fd !== undefined) closeQuietly(fd);
      }
      return join(now, 0, maxWaitMs) ?? 0;
    },
  };
}
