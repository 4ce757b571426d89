import { canonicalJson } from "./canonical-json.js";
import { hashBytes } from "./hash-bytes.js";
import type { KeyOptions } from "./key-options.js";

/**
 * The cache key of `value`: the SHA-256 (64 lowercase hex digits) of the UTF-8 bytes of its
 * {@link canonicalJson | canonical JSON}. Equal JSON data has equal keys whatever its key order;
 * numbers that agree to `decimals` places (default 8) have equal keys.
 *
 * @param value - the inputs of the artifact, as JSON data.
 * @param options - see {@link KeyOptions}.
 * @returns a 64-character lowercase hex key, usable as a cache manager key.
 * @throws {@link CacheKeyError} (`CACHE_INVALID_VALUE`) for a value that is not JSON data.
 *
 * @example
 * ```ts
 * import { cacheKey } from "clarity-cache";
 *
 * const key = cacheKey({ report: "quarterly", region: "north", threshold: 0.1 + 0.2 });
 * key === cacheKey({ threshold: 0.3, region: "north", report: "quarterly" }); // true
 * ```
 */
export function cacheKey(value: unknown, options?: KeyOptions): string {
  return hashBytes(canonicalJson(value, options));
}
