import { CacheError } from "../errors/cache-error.js";
import { describe } from "../keys/key-options.js";

/** Options of {@link CacheManager}. */
export interface CacheManagerOptions {
  /**
   * The cache directory. Created on first write.
   *
   * @defaultValue `$CLARITY_CACHE_DIR`, else `<cwd>/.clarity_cache`
   */
  dir?: string | undefined;
  /**
   * How long {@link CacheManager.getOrCreate} waits for a generation another caller started
   * (in this process or another) before rejecting with {@link CacheInProgressError}; `0`: do
   * not wait.
   *
   * @defaultValue `30_000`
   */
  lockTimeoutMs?: number | undefined;
  /**
   * A generation lock not refreshed for this long belongs to a dead holder and is taken over.
   * At least `2_000` (holders refresh every half of it).
   *
   * @defaultValue `10_000`
   */
  staleLockMs?: number | undefined;
  /**
   * The default lifetime of new entries, in milliseconds; an expired entry is invisible (a
   * miss) and removed by {@link CacheManager.prune}. Per entry: {@link WriteOptions.ttlMs}.
   *
   * @defaultValue none: entries do not expire
   */
  ttlMs?: number | undefined;
  /**
   * A bound on the total bytes of the entries' data. When a write takes the cache past it, the
   * least recently used entries are evicted until the cache is at or under 90 % of it.
   *
   * @defaultValue none
   */
  maxBytes?: number | undefined;
  /**
   * A bound on the number of entries, enforced like {@link CacheManagerOptions.maxBytes}.
   *
   * @defaultValue none
   */
  maxEntries?: number | undefined;
  /**
   * What every read checks against the entry's record: `"size"` (and the data file's identity),
   * or `"full"`, which also compares the data's SHA-256. A mismatch is a miss, and the damaged
   * entry is removed.
   *
   * @defaultValue `"size"`
   */
  verify?: "size" | "full" | undefined;
}

/** Options of the calls that address one entry. */
export interface EntryOptions {
  /**
   * The entry's file extension: `""` or `.` followed by 1–16 of `[a-z0-9]` with at least one
   * letter, such as `".pdf"`.
   *
   * @defaultValue `""`
   */
  extension?: string | undefined;
}

/** Options of the calls that write an entry. */
export interface WriteOptions extends EntryOptions {
  /**
   * This entry's lifetime in milliseconds, overriding {@link CacheManagerOptions.ttlMs}.
   */
  ttlMs?: number | undefined;
  /**
   * Host metadata stored in the entry's record and returned by {@link CacheManager.info} and
   * {@link CacheManager.entries}, such as `{ "content-type": "application/pdf" }`.
   */
  metadata?: Record<string, string> | undefined;
}

/**
 * Options of {@link CacheManager.getOrCreate} and {@link CacheManager.getOrCreateEntry}. The
 * write options (`ttlMs`, `metadata`) of the call that generates the entry apply.
 */
export interface GetOrCreateOptions extends WriteOptions {
  /** Overrides {@link CacheManagerOptions.lockTimeoutMs} for this call. */
  lockTimeoutMs?: number | undefined;
  /**
   * Gives up waiting when aborted: the call rejects promptly with the signal's reason. The
   * generation goes on for the other callers; its own `ctx.signal` aborts only when every
   * caller has gone.
   */
  signal?: AbortSignal | undefined;
}

/** The largest delay a Node.js timer honours. */
const maxTimerMs = 2 ** 31 - 1;

/** Throws `CACHE_INVALID_OPTION` naming `name` unless `value` is a plain options object. */
export function assertOptionsObject(
  value: unknown,
  name: string,
  allowed: readonly string[],
): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidOption(`${name} must be an object, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw invalidOption(`unknown option "${key}" in ${name} (known: ${allowed.join(", ")})`);
    }
  }
}

/** Checks a millisecond option: a finite number from `min` up to the largest timer delay. */
export function checkMilliseconds(name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > maxTimerMs) {
    throw invalidOption(
      `option "${name}" must be a number of milliseconds from ${min} to ${maxTimerMs}, got ${describe(value)}`,
    );
  }
  return value;
}

/** Checks a bound: a whole number from 1 up to the largest safe integer. */
export function checkBound(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw invalidOption(
      `option "${name}" must be a whole number of at least 1, got ${describe(value)}`,
    );
  }
  return value;
}

/** Checks a lifetime or age: a finite number of milliseconds above 0. */
export function checkLifetime(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw invalidOption(
      `option "${name}" must be a finite number of milliseconds above 0, got ${describe(value)}`,
    );
  }
  return value;
}

/** Checks the `verify` option. */
export function checkVerify(value: unknown): "size" | "full" {
  if (value === "size" || value === "full") return value;
  throw invalidOption(`option "verify" must be "size" or "full", got ${describe(value)}`);
}

/** Checks the `metadata` option: a plain object whose values are strings; returns a copy. */
export function checkMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (
    typeof value !== "object" ||
    value === null ||
    Array.isArray(value) ||
    !Object.values(value).every((item) => typeof item === "string")
  ) {
    throw invalidOption(
      `option "metadata" must be an object whose values are strings, got ${describe(value)}`,
    );
  }
  return { ...(value as Record<string, string>) };
}

/** Checks the `signal` option. */
export function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw invalidOption(`option "signal" must be an AbortSignal, got ${describe(value)}`);
}

/** A `CACHE_INVALID_OPTION` error. */
export function invalidOption(message: string): CacheError {
  return new CacheError("CACHE_INVALID_OPTION", message);
}
