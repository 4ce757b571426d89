import type { CacheInProgressError } from "./cache-in-progress-error.js";
import type { CacheIOError } from "./cache-io-error.js";
import type { CacheKeyError } from "./cache-key-error.js";
import type { CacheLockError } from "./cache-lock-error.js";

/**
 * Every `code` a {@link CacheError} can carry. The code is the stable, documented part of an
 * error: branch on it (or use {@link isCacheError}), not on the message.
 *
 * | code | raised when |
 * | --- | --- |
 * | `CACHE_INVALID_KEY` | a cache key or extension is not a safe file name ({@link CacheKeyError}) |
 * | `CACHE_INVALID_VALUE` | a value given to a key function is not JSON data ({@link CacheKeyError}) |
 * | `CACHE_INVALID_CASE` | a case directory file is missing, unreadable or not JSON ({@link CacheKeyError}) |
 * | `CACHE_INVALID_OPTION` | an option has a bad value ({@link CacheError}) |
 * | `CACHE_INVALID_RESULT` | a generator returned something other than a string or bytes ({@link CacheError}) |
 * | `CACHE_IN_PROGRESS` | another caller is generating the entry and waiting timed out ({@link CacheInProgressError}) |
 * | `CACHE_LOCK_FAILED` | a lock could not be created or kept for a reason other than contention ({@link CacheLockError}) |
 * | `CACHE_IO` | the file system failed ({@link CacheIOError}) |
 */
export type CacheErrorCode =
  | "CACHE_INVALID_KEY"
  | "CACHE_INVALID_VALUE"
  | "CACHE_INVALID_CASE"
  | "CACHE_INVALID_OPTION"
  | "CACHE_INVALID_RESULT"
  | "CACHE_IN_PROGRESS"
  | "CACHE_LOCK_FAILED"
  | "CACHE_IO";

/**
 * The class of the error that carries each code, for {@link isCacheError}'s narrowing: after
 * `isCacheError(error, "CACHE_IN_PROGRESS")`, `error` is a {@link CacheInProgressError}.
 */
export interface CacheErrorByCode {
  /** A key or extension that is not a safe file name. */
  CACHE_INVALID_KEY: CacheKeyError;
  /** A value that is not JSON data. */
  CACHE_INVALID_VALUE: CacheKeyError;
  /** A case file that cannot be keyed. */
  CACHE_INVALID_CASE: CacheKeyError;
  /** A bad option. */
  CACHE_INVALID_OPTION: CacheError;
  /** A generator result that is neither a string nor bytes. */
  CACHE_INVALID_RESULT: CacheError;
  /** Another caller is generating the entry. */
  CACHE_IN_PROGRESS: CacheInProgressError;
  /** A lock could not be created or kept. */
  CACHE_LOCK_FAILED: CacheLockError;
  /** The file system failed. */
  CACHE_IO: CacheIOError;
}

// A registry-wide symbol, so that an error made by one copy of the package (the ESM build, the
// CommonJS build, or a second installed copy) is recognised by every other copy.
const kindKey = Symbol.for("clarity-cache.error-kind");

const isObject = (value: unknown): value is Record<PropertyKey, unknown> =>
  typeof value === "object" && value !== null;

/**
 * The base class of every error the library raises. Host generator errors and abort reasons
 * are passed through unchanged and are not `CacheError`s.
 *
 * `instanceof` works across the ESM and CommonJS builds and across two installed copies of the
 * package; {@link isCacheError} does the same and narrows by code.
 *
 * @example
 * ```ts
 * import { CacheError, cacheKey } from "clarity-cache";
 *
 * try {
 *   cacheKey({ ratio: Number.NaN });
 * } catch (error) {
 *   if (error instanceof CacheError) console.log(error.code); // "CACHE_INVALID_VALUE"
 * }
 * ```
 */
export class CacheError extends Error {
  /**
   * The class's name as recognised across copies of the package.
   *
   * @internal
   */
  static readonly kind: string = "CacheError";

  /** What went wrong, as a stable code. See {@link CacheErrorCode}. */
  readonly code: CacheErrorCode;

  /**
   * @param code - the stable error code.
   * @param message - a message that names the bad thing.
   * @param options - `cause`: the underlying error, if any.
   */
  constructor(code: CacheErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    const kind = new.target.kind;
    this.code = code;
    this.name = kind;
    Object.defineProperty(this, kindKey, { value: kind });
  }

  /**
   * Makes `instanceof` hold for errors made by any copy of the package.
   *
   * @param value - the value on the left of `instanceof`.
   * @returns whether `value` is an instance of this class, by any copy of the package.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    // Only the library's own classes own `kind`; a host subclass keeps ordinary semantics.
    if (!Object.hasOwn(this, "kind") || !isObject(value)) return false;
    const kind = value[kindKey];
    if (typeof kind !== "string") return false;
    return this.kind === CacheError.kind || this.kind === kind;
  }
}

/**
 * Tells whether `error` is a {@link CacheError} (from any copy of the package), optionally with
 * a given code.
 *
 * @param error - any caught value.
 * @param code - when given, the error must also carry this code.
 * @returns `true` if `error` is a `CacheError` (with `code`, when given); with a code, `error`
 *   is narrowed to that code's class ({@link CacheErrorByCode}).
 *
 * @example
 * ```ts
 * import { isCacheError } from "clarity-cache";
 *
 * try {
 *   await cache.getOrCreate(key, render, { lockTimeoutMs: 0 });
 * } catch (error) {
 *   if (isCacheError(error, "CACHE_IN_PROGRESS")) {
 *     // answer 409 with Retry-After: error.retryAfterSeconds
 *   }
 * }
 * ```
 */
export function isCacheError<Code extends CacheErrorCode>(
  error: unknown,
  code: Code,
): error is CacheErrorByCode[Code];
export function isCacheError(error: unknown): error is CacheError;
export function isCacheError(error: unknown, code?: CacheErrorCode): error is CacheError {
  if (!(error instanceof CacheError)) return false;
  return code === undefined || error.code === code;
}
