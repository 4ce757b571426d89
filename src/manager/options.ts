import { CacheError } from "../errors/cache-error.js";
import { describe } from "../keys/key-options.js";

/** Options of {@link CacheManager}. */
export interface CacheManagerOptions {
  /**
   * The cache directory. Created on first write.
   *
   * @defaultValue `$CLARITY_CACHE_DIR`, else `<cwd>/.clarity_cache`
   */
  dir?: string;
  /**
   * How long {@link CacheManager.getOrCreate} waits for a generation another caller started
   * (in this process or another) before rejecting with {@link CacheInProgressError}; `0`: do
   * not wait.
   *
   * @defaultValue `30_000`
   */
  lockTimeoutMs?: number;
  /**
   * A generation lock not refreshed for this long belongs to a dead holder and is taken over.
   * At least `2_000` (holders refresh every half of it).
   *
   * @defaultValue `10_000`
   */
  staleLockMs?: number;
}

/** Options of the calls that address one entry. */
export interface EntryOptions {
  /**
   * The entry's file extension: `""` or `.` followed by 1–16 of `[a-z0-9]` with at least one
   * letter, such as `".pdf"`.
   *
   * @defaultValue `""`
   */
  extension?: string;
}

/** Options of {@link CacheManager.getOrCreate} and {@link CacheManager.getOrCreateEntry}. */
export interface GetOrCreateOptions extends EntryOptions {
  /** Overrides {@link CacheManagerOptions.lockTimeoutMs} for this call. */
  lockTimeoutMs?: number;
  /**
   * Gives up waiting when aborted: the call rejects promptly with the signal's reason. The
   * generation goes on for the other callers; its own `ctx.signal` aborts only when every
   * caller has gone.
   */
  signal?: AbortSignal;
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

/** Checks the `signal` option. */
export function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw invalidOption(`option "signal" must be an AbortSignal, got ${describe(value)}`);
}

/** A `CACHE_INVALID_OPTION` error. */
export function invalidOption(message: string): CacheError {
  return new CacheError("CACHE_INVALID_OPTION", message);
}
