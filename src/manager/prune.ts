/** Options of {@link CacheManager.prune}. */
export interface PruneOptions {
  /** Evict least recently used entries until their data totals at most this; default: the manager's. */
  maxBytes?: number | undefined;
  /** Evict least recently used entries until at most this many remain; default: the manager's. */
  maxEntries?: number | undefined;
  /** Remove entries created longer ago than this, in milliseconds. */
  maxAgeMs?: number | undefined;
  /** Report what would be removed without removing anything. */
  dryRun?: boolean | undefined;
}

/** What {@link CacheManager.prune} did (or, with `dryRun`, would do). */
export interface PruneReport {
  /** Entries removed: expired, too old, evicted for a bound, or damaged. */
  removedEntries: number;
  /** The bytes of data those entries held. */
  freedBytes: number;
  /** Leftover temp files of dead writers removed (older than the grace period). */
  removedTempFiles: number;
  /** Dead holders' locks removed. */
  removedLocks: number;
  /** Valid entries left. */
  remainingEntries: number;
  /** The bytes of data they hold. */
  remainingBytes: number;
}
