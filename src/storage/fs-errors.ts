import { CacheIOError } from "../errors/cache-io-error.js";

/** The `code` of a Node.js system error, if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Wraps a file-system failure as a {@link CacheIOError} that names the operation and path. */
export function ioError(operation: string, path: string, cause: unknown): CacheIOError {
  const code = errorCode(cause);
  return new CacheIOError(`cannot ${operation} ${path}${code === undefined ? "" : ` (${code})`}`, {
    cause,
  });
}
