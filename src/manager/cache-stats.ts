/** What {@link CacheManager.stats} reports. */
export interface CacheStats {
  /** Valid, unexpired entries on disk now (all processes' writes). */
  entries: number;
  /** The total size of their data in bytes (records not counted). */
  bytes: number;
  /** Hits of `get` and `getOrCreate` by this manager since it was made. */
  hits: number;
  /** Misses of `get` and `getOrCreate` (absent, expired or damaged entries). */
  misses: number;
  /** Entries this manager's generations made. */
  generated: number;
  /** `getOrCreate` calls that got an entry another call made while they waited. */
  waited: number;
  /** `getOrCreate` calls that gave up waiting with {@link CacheInProgressError}. */
  conflicts: number;
  /** Entries removed by a bound (`maxBytes`, `maxEntries`), by age or expiry, or by `prune`. */
  evictions: number;
  /** Damaged entries found (and removed). */
  corruptions: number;
}

/** The counters of {@link CacheStats} that a manager keeps itself. */
export type CacheCounters = Omit<CacheStats, "entries" | "bytes">;

/** Counters at zero. */
export function newCounters(): CacheCounters {
  return {
    hits: 0,
    misses: 0,
    generated: 0,
    waited: 0,
    conflicts: 0,
    evictions: 0,
    corruptions: 0,
  };
}
