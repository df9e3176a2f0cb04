import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";

/** Options of {@link ArcChallenges}. @internal */
export interface ArcChallengesOptions {
  /** Where the challenge files are written. A folder that does not exist is made, and what was made is removed on close. */
  tokenFolder: string;
  /** The folder named in the challenge, when the client sees the files under another path. Default: `tokenFolder`. */
  realmFolder?: string;
  /** How long an unanswered challenge lives, in milliseconds. */
  ttlMs: number;
  /** How many unanswered challenges may wait at once; the oldest goes first. Default: {@link MAX_PENDING_CHALLENGES}. */
  maxPending?: number | undefined;
}

/** The default cap on unanswered challenges: far more than any client has in flight, far fewer than a flood. @internal */
export const MAX_PENDING_CHALLENGES = 256;

interface Pending {
  secret: Buffer;
  file: string;
  timer: NodeJS.Timeout;
}

/**
 * The Arc agent's challenge files: a fresh random secret per challenge, written to a `.key` file
 * only its owner may read, accepted once, and deleted as soon as it is used or expires.
 * @internal
 */
export class ArcChallenges {
  private readonly pending = new Set<Pending>();

  private constructor(
    /** The folder the files are written to: the `tokenFolder` option of `ArcCredential`. */
    readonly tokenFolder: string,
    private readonly realmFolder: string,
    private readonly ttlMs: number,
    /** The outermost folder the emulator made (and so removes on close), if any. */
    private readonly madeFolder: string | undefined,
    private readonly maxPending: number,
  ) {}

  /** Opens the folder, making it when it does not exist. */
  static async create(options: ArcChallengesOptions): Promise<ArcChallenges> {
    const maxPending = options.maxPending ?? MAX_PENDING_CHALLENGES;
    if (!Number.isSafeInteger(maxPending) || maxPending < 1)
      throw new TypeError(`arc.maxPendingChallenges must be a whole number of 1 or more, not ${String(maxPending)}.`);
    // mkdir tells the first folder it had to make: that one (with what is under it) is the emulator's to remove.
    const made = await fs.mkdir(options.tokenFolder, { recursive: true, mode: 0o700 });
    // The real path: the credential compares resolved paths, and os.tmpdir() may be a symlink (macOS).
    const folder = await fs.realpath(options.tokenFolder);
    const madeFolder = made === undefined ? undefined : await fs.realpath(made);
    return new ArcChallenges(folder, options.realmFolder ?? folder, options.ttlMs, madeFolder, maxPending);
  }

  /** Writes a new challenge file and returns the realm to send: the file's path as the client sees it. */
  async issue(): Promise<string> {
    const name = `${randomUUID()}.key`;
    const file = path.join(this.tokenFolder, name);
    const secret = randomBytes(32).toString("hex");
    await fs.writeFile(file, secret, { mode: 0o600, flag: "wx" });
    const entry: Pending = {
      secret: Buffer.from(secret),
      file,
      timer: setTimeout(() => void this.discard(entry), this.ttlMs),
    };
    entry.timer.unref();
    this.pending.add(entry);
    // Over the cap, the oldest go (a Set iterates in insertion order); discard() removes an entry at once.
    const evicted: Promise<void>[] = [];
    for (const oldest of this.pending) {
      if (this.pending.size <= this.maxPending) break;
      evicted.push(this.discard(oldest));
    }
    await Promise.all(evicted);
    return path.join(this.realmFolder, name);
  }

  /**
   * Whether an `Authorization` header carries the secret of a pending challenge; a matching
   * challenge is used up (its file deleted before this resolves), so a secret is good for one request only.
   */
  async redeem(authorization: string | undefined): Promise<boolean> {
    const match = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match?.[1]) return false;
    const presented = Buffer.from(match[1]);
    for (const entry of this.pending) {
      if (entry.secret.length === presented.length && timingSafeEqual(entry.secret, presented)) {
        await this.discard(entry);
        return true;
      }
    }
    return false;
  }

  /** How many challenges are waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  private async discard(entry: Pending): Promise<void> {
    clearTimeout(entry.timer);
    this.pending.delete(entry);
    await fs.rm(entry.file, { force: true }).catch(() => undefined);
  }

  /** Deletes every pending file, and the folders the emulator made. */
  async close(): Promise<void> {
    const files = [...this.pending].map((entry) => {
      clearTimeout(entry.timer);
      return entry.file;
    });
    this.pending.clear();
    await Promise.all(files.map((file) => fs.rm(file, { force: true })));
    if (this.madeFolder !== undefined) await fs.rm(this.madeFolder, { recursive: true, force: true });
  }
}
