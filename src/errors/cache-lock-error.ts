import { CacheError } from "./cache-error.js";

/**
 * A lock could not be created or kept for a reason other than contention (code
 * `CACHE_LOCK_FAILED`). Contention is never this error: a caller that waited too long gets a
 * {@link CacheInProgressError} instead. The underlying error is the `cause`.
 */
export class CacheLockError extends CacheError {
  /** @internal */
  static override readonly kind: string = "CacheLockError";

  declare readonly code: "CACHE_LOCK_FAILED";

  /**
   * @param message - what could not be locked, and why.
   * @param options - `cause`: the underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("CACHE_LOCK_FAILED", message, options);
  }
}
