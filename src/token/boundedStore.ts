import { scopeToResource } from "./resource.js";

/** What the store needs of an entry. @internal */
export interface StoredEntry {
  /** The partition it belongs to ("" for the default one; another tenant, CAE tokens). */
  readonly partition: string;
  readonly resource: string;
  /** Every scope string that names this resource: removing the entry removes them all. */
  readonly scopes: string[];
  /** `performance.now()` of its last use. */
  lastUsed: number;
}

/** Whether the store may drop an entry: `busy` (a caller waits for it) never, `expired` first, `held` when the store is full. @internal */
export type EntryStatus = "busy" | "expired" | "held";

/** One partition's entries, by scope string and by resource. */
interface Partition<E> {
  readonly byScope: Map<string, E>;
  readonly byResource: Map<string, E>;
}

/** Expired entries are swept on a miss at most this often (and always when the store is full). */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The cache's entries, at most `maxEntries` across all partitions together: an application that asks for
 * every resource of a tenant, or for every tenant a challenge names, must not grow without bound. Before a
 * new entry, expired entries are swept (now and then, and always when full), then the least recently used goes.
 * An empty partition goes too. A lookup is two `Map.get`s, whatever the number of entries.
 * @internal
 */
export class BoundedStore<E extends StoredEntry> {
  private readonly partitions = new Map<string, Partition<E>>();
  private count = 0;
  private nextSweep = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly status: (entry: E) => EntryStatus,
  ) {}

  /** How many entries are held, across partitions. */
  get size(): number {
    return this.count;
  }

  /** How many partitions hold at least one entry. */
  get partitionCount(): number {
    return this.partitions.size;
  }

  get(partition: string, scope: string): E | undefined {
    return this.partitions.get(partition)?.byScope.get(scope);
  }

  /** The entry for `scope`'s resource in `partition`, made by `create` (after making room) when there is none. */
  add(partition: string, scope: string, now: number, create: (resource: string) => E): E {
    const resource = scopeToResource(scope);
    let entries = this.partitions.get(partition);
    let entry = entries?.byResource.get(resource);
    if (entry === undefined) {
      this.makeRoom(now);
      // Making room may have dropped this very partition.
      entries = this.partitions.get(partition);
      if (entries === undefined) {
        entries = { byScope: new Map(), byResource: new Map() };
        this.partitions.set(partition, entries);
      }
      entry = create(resource);
      entries.byResource.set(resource, entry);
      this.count++;
    }
    entry.scopes.push(scope);
    entries!.byScope.set(scope, entry);
    return entry;
  }

  remove(entry: E): void {
    const entries = this.partitions.get(entry.partition);
    if (entries === undefined || entries.byResource.get(entry.resource) !== entry) return;
    entries.byResource.delete(entry.resource);
    this.count--;
    for (const scope of entry.scopes) if (entries.byScope.get(scope) === entry) entries.byScope.delete(scope);
    if (entries.byResource.size === 0) this.partitions.delete(entry.partition);
  }

  /** Before a new entry: drops the expired ones (now and then, or when full), then the least recently used. */
  private makeRoom(now: number): void {
    const full = this.count >= this.maxEntries;
    if (!full && now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    let leastRecent: E | undefined;
    for (const entries of [...this.partitions.values()]) {
      for (const entry of entries.byResource.values()) {
        const status = this.status(entry);
        if (status === "busy") continue;
        if (status === "expired") this.remove(entry);
        else if (leastRecent === undefined || entry.lastUsed < leastRecent.lastUsed) leastRecent = entry;
      }
    }
    if (this.count >= this.maxEntries && leastRecent !== undefined) this.remove(leastRecent);
  }
}
