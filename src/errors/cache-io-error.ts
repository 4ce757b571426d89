import { CacheError } from "./cache-error.js";

/**
 * The file system failed (code `CACHE_IO`): permission denied, disk full, an I/O error, a file
 * where the cache directory should be. The original error is the `cause`. No partial entry and
 * no held lock are left behind, and the manager stays usable.
 */
export class CacheIOError extends CacheError {
  /** @internal */
  static override readonly kind: string = "CacheIOError";

  declare readonly code: "CACHE_IO";

  /**
   * @param message - what the library was doing, and on which path.
   * @param options - `cause`: the original file-system error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("CACHE_IO", message, options);
  }
}
