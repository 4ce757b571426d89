/**
 * The seam between {@link CacheManager} and where entries live. The manager owns the semantics
 * (validation, single flight, waiting, timeouts); a storage owns layout, atomic publish and
 * locking. The file-system storage is the only one today; a networked one (Redis, say) would
 * implement the same interface.
 *
 * Entries are addressed by name: a validated key plus extension, never a path.
 *
 * @internal
 */
export interface CacheStorage {
  /** Where the entry's bytes can be read by the host (for the file storage, a file path). */
  pathFor(name: string): string;
  /** The entry's bytes, or `undefined` if there is no entry. */
  read(name: string): Promise<Buffer | undefined>;
  /** Whether an entry exists. */
  exists(name: string): Promise<boolean>;
  /** Publishes `data` atomically and durably: readers see the old entry or all of the new one. */
  write(name: string, data: Uint8Array): Promise<void>;
  /** Removes an entry; `true` if one was removed. */
  remove(name: string): Promise<boolean>;
  /** Removes every entry; the number removed. */
  clear(): Promise<number>;
  /**
   * Tries once to take the generation lock of an entry. `undefined` means another holder has it
   * (contention); any other failure rejects.
   */
  tryLock(name: string): Promise<StorageLock | undefined>;
}

/** A held generation lock. */
export interface StorageLock {
  /** `true` once the lock could not be kept (refresh failed, or a successor took it over). */
  readonly lost: boolean;
  /** Releases the lock; never rejects for a lock that was lost. */
  release(): Promise<void>;
}
