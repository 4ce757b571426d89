import { CacheKeyError } from "../errors/cache-key-error.js";
import { describe } from "../keys/key-options.js";

const keyPattern = /^[a-z0-9][a-z0-9_-]{0,199}$/;
const extensionPattern = /^\.(?=[a-z0-9]{0,15}[a-z])[a-z0-9]{1,16}$/;
// Reserved device names on Windows, whatever the extension: a file named "nul.pdf" is the device.
const windowsDeviceName = /^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/**
 * Checks a cache key: 1–200 characters of `[a-z0-9_-]`, starting with `[a-z0-9]`, and not a
 * Windows device name. No I/O happens before this check.
 *
 * @throws {@link CacheKeyError} (`CACHE_INVALID_KEY`) naming the key.
 */
export function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || !keyPattern.test(key) || windowsDeviceName.test(key)) {
    throw new CacheKeyError(
      "CACHE_INVALID_KEY",
      `invalid cache key ${describe(key)}: a key is 1-200 characters of [a-z0-9_-], starts with [a-z0-9], and is not a Windows device name`,
    );
  }
}

/**
 * Checks an entry extension: `""`, or `.` and 1–16 of `[a-z0-9]` with at least one letter.
 *
 * @throws {@link CacheKeyError} (`CACHE_INVALID_KEY`) naming the extension.
 */
export function assertValidExtension(extension: unknown): asserts extension is string {
  if (extension !== "" && (typeof extension !== "string" || !extensionPattern.test(extension))) {
    throw new CacheKeyError(
      "CACHE_INVALID_KEY",
      `invalid extension ${describe(extension)}: an extension is "" or "." and 1-16 of [a-z0-9] with at least one letter`,
    );
  }
}

/**
 * The file name of an entry: the key and the extension. Distinct (key, extension) pairs have
 * distinct names, since the extension holds the only dot.
 */
export function entryName(key: unknown, extension: unknown = ""): string {
  assertValidKey(key);
  assertValidExtension(extension);
  return key + extension;
}

/** Splits a file name back into (key, extension), or `undefined` if no entry has that name. */
export function parseEntryName(name: string): { key: string; extension: string } | undefined {
  const dot = name.indexOf(".");
  const key = dot === -1 ? name : name.slice(0, dot);
  const extension = dot === -1 ? "" : name.slice(dot);
  if (!keyPattern.test(key) || windowsDeviceName.test(key)) return undefined;
  if (extension !== "" && !extensionPattern.test(extension)) return undefined;
  return { key, extension };
}
