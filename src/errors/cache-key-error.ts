import { CacheError } from "./cache-error.js";

/** The codes a {@link CacheKeyError} can carry. */
export type CacheKeyErrorCode = "CACHE_INVALID_KEY" | "CACHE_INVALID_VALUE" | "CACHE_INVALID_CASE";

/** Where a {@link CacheKeyError} happened: a place in a value, a file, or both. */
export interface CacheKeyErrorDetails {
  /** The place in the value, as a JSONPath such as `$.axes[3].esi`. */
  path?: string;
  /** The file that could not be keyed. */
  file?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * A key could not be made: a cache key or extension is not a safe file name
 * (`CACHE_INVALID_KEY`), a value is not JSON data (`CACHE_INVALID_VALUE`, with {@link path}), or
 * a case directory's file cannot be keyed (`CACHE_INVALID_CASE`, with {@link file} and `cause`).
 *
 * @example
 * ```ts
 * import { CacheKeyError, cacheKey } from "clarity-cache";
 *
 * try {
 *   cacheKey({ axes: [{ esi: Number.POSITIVE_INFINITY }] });
 * } catch (error) {
 *   if (error instanceof CacheKeyError) console.log(error.path); // "$.axes[0].esi"
 * }
 * ```
 */
export class CacheKeyError extends CacheError {
  /** @internal */
  static override readonly kind: string = "CacheKeyError";

  /** The place in the value that is not JSON data, as a JSONPath (`$.axes[3].esi`). */
  readonly path?: string;
  /** The file that could not be keyed (for `CACHE_INVALID_CASE`). */
  readonly file?: string;

  declare readonly code: CacheKeyErrorCode;

  /**
   * @param code - `CACHE_INVALID_KEY`, `CACHE_INVALID_VALUE` or `CACHE_INVALID_CASE`.
   * @param message - a message that names the bad thing.
   * @param details - the path, the file and the cause, where known.
   */
  constructor(code: CacheKeyErrorCode, message: string, details: CacheKeyErrorDetails = {}) {
    super(code, message, "cause" in details ? { cause: details.cause } : undefined);
    if (details.path !== undefined) this.path = details.path;
    if (details.file !== undefined) this.file = details.file;
  }
}
