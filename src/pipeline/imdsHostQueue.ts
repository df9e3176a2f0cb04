import { createHash, randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
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
 * A queue of the processes of one host (one user) waiting to ask the same IMDS for a token, in a file of the
 * temporary folder: each process that joins appends the time it joined; every process reads the same lines
 * in the same order and computes the same schedule, one slot every {@link HOST_QUEUE_SPACING_MS}, so they
 * retry one after another instead of all at once. It is only written to after a 429, and only read when a
 * process of this host joined it recently; anything the file system refuses (no temporary folder, another
 * user's file, a link, a read-only disk) turns the queue off, and the retry policy falls back to its own jitter.
 * @internal
 */
export interface ImdsHostQueue {
  /** Joins the queue: the milliseconds from `now` to this process's slot, or `undefined` when it cannot be used. */
  join(now: number): number | undefined;
  /** When processes of this host are waiting for IMDS: joins the queue and returns the wait; otherwise 0. */
  waitBehindOthers(now: number): number;
}

interface Line {
  at: number;
  id: string;
}

/** The lines of the queue file; a line from the future (a clock set back since) is left out. */
function readLines(file: string, now: number): Line[] {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd, "utf8")
      .split("\n")
      .flatMap((line) => {
        const [at, id] = line.split(" ");
        const time = Number(at);
        return id !== undefined && Number.isFinite(time) && time <= now + 1000 ? [{ at: time, id }] : [];
      });
  } finally {
    closeSync(fd);
  }
}

/** The slot of every line: one spacing after the later of its joining and the slot before it. */
function schedule(lines: readonly Line[]): number[] {
  const slots: number[] = [];
  let previous = -Infinity;
  for (const line of lines) {
    previous = Math.max(line.at, previous) + HOST_QUEUE_SPACING_MS;
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

  const join = (now: number): number | undefined => {
    const id = randomBytes(8).toString("hex");
    try {
      const fd = openSync(
        file,
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
        0o600,
      );
      try {
        const stat = fstatSync(fd);
        // Another user's file, or anything but a plain file: not ours to trust.
        if (!stat.isFile() || stat.uid !== uid) return undefined;
        // One write of one short line with O_APPEND: lines of processes joining together never interleave.
        writeSync(fd, `${now} ${id}\n`);
      } finally {
        closeSync(fd);
      }
      const lines = readLines(file, now);
      const index = lines.findIndex((line) => line.id === id);
      if (index < 0) return undefined;
      const mine = schedule(lines)[index]!;
      // The queue was empty when this process joined, and the file has grown: the next process starts a new one.
      if (mine === lines[index]!.at + HOST_QUEUE_SPACING_MS && lstatSync(file).size > ROTATE_AT_BYTES) {
        unlinkSync(file);
      }
      return Math.max(0, mine - now);
    } catch {
      return undefined;
    }
  };

  /** When the file system last said that nobody waits: asked again at most once a second. */
  let idleSince: number | undefined;
  return {
    join,
    waitBehindOthers(now) {
      if (idleSince !== undefined && now >= idleSince && now - idleSince < RECHECK_IDLE_AFTER_MS) return 0;
      try {
        // The common case, IMDS never throttled here: one lstat of a file that does not exist, once a second.
        const stat = lstatSync(file, { throwIfNoEntry: false });
        idleSince = now;
        if (stat === undefined || !stat.isFile() || stat.mtimeMs < now - IDLE_AFTER_MS) return 0;
        idleSince = undefined;
        const last = schedule(readLines(file, now)).at(-1);
        if (last === undefined || last <= now) {
          idleSince = now;
          return 0;
        }
        return join(now) ?? 0;
      } catch {
        return 0;
      }
    },
  };
}
