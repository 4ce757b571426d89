/**
 * The seam between {@link CacheManager} and where entries live. The manager owns the semantics
 * (validation, single flight, waiting, timeouts, bounds, statistics); a storage owns layout,
 * records, atomic publish, compare-and-delete and locking. The file-system storage is the only
 * one today; a networked one (Redis, say) would implement the same interface.
 *
 * Entries are addressed by name: a validated key plus extension, never a path.
 *
 * @internal
 */
export interface CacheStorage {
  /** Where the entry's bytes can be read by the host (for the file storage, a file path). */
  pathFor(name: string): string;
  /** Reads an entry and checks it against its record; `now` decides expiry. */
  read(name: string, options: { verify: "size" | "full"; now: number }): Promise<ReadResult>;
  /** What an entry's record says, checked against the data's size and identity (no data read). */
  describe(name: string, now: number): Promise<DescribeResult>;
  /** Publishes `data` and its record atomically and durably. */
  write(name: string, data: Uint8Array, options: EntryWrite): Promise<StoredEntry>;
  /** Records a use of the entry (its last-access time). */
  touch(name: string, at: number): Promise<void>;
  /** Removes an entry; `true` if one was removed. */
  remove(name: string): Promise<boolean>;
  /** Removes the entry only if it is still the one observed (not a newer one published since). */
  removeIfUnchanged(entry: Observed): Promise<boolean>;
  /** Every entry, with expired and damaged ones told apart. */
  scan(now: number): Promise<ScanResult>;
  /** Removes every entry; the number removed. */
  clear(): Promise<number>;
  /** Removes temp files and dead holders' locks older than the grace periods. */
  sweep(options: SweepOptions): Promise<{ removedTempFiles: number; removedLocks: number }>;
  /**
   * Tries once to take the generation lock of an entry. `undefined` means another holder has it
   * (contention); any other failure rejects.
   */
  tryLock(name: string): Promise<StorageLock | undefined>;
}

/** What a storage knows about a valid entry. */
export interface StoredEntry {
  name: string;
  size: number;
  sha256: string;
  createdAt: number;
  lastAccessAt: number;
  expiresAt: number | undefined;
  metadata: Record<string, string>;
  /** The identity of the data file (see `dataIdentity`). */
  identity: string;
}

/** An entry as observed at one moment: enough to remove exactly it and nothing newer. */
export interface Observed {
  name: string;
  /** The data file's identity, or `undefined` if there was no data file. */
  identity: string | undefined;
  /** The data file's size (0 if there was none). */
  size: number;
  /**
   * The record's text, compared before the record is removed; `undefined` to remove the record
   * only if it describes the removed data.
   */
  recordText: string | undefined;
}

/** The outcome of a read. */
export type ReadResult =
  | { kind: "hit"; data: Buffer; entry: StoredEntry }
  | { kind: "absent" }
  | { kind: "expired"; entry: StoredEntry }
  | { kind: "corrupt"; reason: string; observed: Observed };

/** The outcome of a describe. */
export type DescribeResult =
  | { kind: "valid"; entry: StoredEntry }
  | { kind: "absent" }
  | { kind: "expired"; entry: StoredEntry }
  | { kind: "corrupt"; reason: string; observed: Observed };

/** The outcome of a scan. */
export interface ScanResult {
  valid: StoredEntry[];
  expired: StoredEntry[];
  damaged: { reason: string; observed: Observed }[];
}

/** What a write records with the data. */
export interface EntryWrite {
  createdAt: number;
  expiresAt: number | undefined;
  metadata: Record<string, string>;
}

/** What a sweep removes. */
export interface SweepOptions {
  /** Temp files and records without data older than this are leftovers of dead writers. */
  tempGraceMs: number;
  /** Locks not refreshed for this long belong to dead holders. */
  lockGraceMs: number;
  now: number;
  dryRun: boolean;
}

/** A held generation lock. */
export interface StorageLock {
  /** `true` once the lock could not be kept (refresh failed, or a successor took it over). */
  readonly lost: boolean;
  /** Releases the lock; never rejects for a lock that was lost. */
  release(): Promise<void>;
}
