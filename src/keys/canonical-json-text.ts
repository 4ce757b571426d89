import { CacheKeyError } from "../errors/cache-key-error.js";
import { canonicalJson } from "./canonical-json.js";
import { hashBytes } from "./hash-bytes.js";
import { type KeyOptions, type ResolvedKeyOptions, resolveKeyOptions } from "./key-options.js";
import { parsePythonJson } from "./python/parse-text.js";
import { writePython } from "./python/serialize.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The canonical JSON form of JSON **text** (a string, or UTF-8 bytes such as a file's contents),
 * read without losing what `JSON.parse` loses.
 *
 * - With `dialect: "python"` the text is read as Python's `json.loads` reads it, and written as
 *   the reference backend writes it: a number token with `.`, `e` or `E` is a float, any other
 *   is an int of any size (so `1.0` stays `1.0` and `12345678901234567890` stays exact); a
 *   duplicated object key keeps its last value; `NaN`, `Infinity` and `-Infinity` tokens are
 *   read as floats; escapes may produce lone surrogates.
 * - With the default dialect (`"jcs"`) it is `canonicalJson(JSON.parse(text), options)`.
 *
 * In both dialects, bytes must be valid UTF-8 (decoded strictly, never with replacement
 * characters), a string must be well-formed Unicode, and the text must not start with a
 * byte-order mark — the reference cannot read such text either.
 *
 * @param text - one JSON text, as a string or as UTF-8 bytes.
 * @param options - see {@link KeyOptions}.
 * @returns the canonical JSON text.
 * @throws {@link CacheKeyError} (`CACHE_INVALID_VALUE`) for text that is not valid UTF-8, starts
 *   with a byte-order mark, is not JSON (the message names the line and column), holds an int
 *   of more than 4,300 digits (Python 3.11's limit, python dialect), or holds a value with no
 *   canonical form (default dialect); {@link CacheError} (`CACHE_INVALID_OPTION`) for bad
 *   options.
 *
 * @example
 * ```ts
 * import { canonicalJsonOfText } from "clarity-cache";
 *
 * canonicalJsonOfText('{"b": 1.0, "a": "é", "b": 2.50}', { dialect: "python" });
 * // '{"a":"\\u00e9","b":2.5}'
 * canonicalJsonOfText('{"b": 1.0, "a": "é"}'); // '{"a":"é","b":1}'
 * ```
 */
export function canonicalJsonOfText(text: string | Uint8Array, options?: KeyOptions): string {
  const resolved = resolveKeyOptions(options);
  return canonicalJsonOfDecodedText(decodeJsonText(text), resolved);
}

/**
 * The cache key of JSON **text**: the SHA-256 (64 lowercase hex digits) of the UTF-8 bytes of
 * {@link canonicalJsonOfText}. With `dialect: "python"` it equals the reference backend's
 * `sha256(json.dumps(quantize(json.loads(text)), sort_keys=True, separators=(",", ":")))`.
 *
 * @param text - one JSON text, as a string or as UTF-8 bytes.
 * @param options - see {@link KeyOptions}.
 * @returns a 64-character lowercase hex key, usable as a cache manager key.
 * @throws {@link CacheKeyError} (`CACHE_INVALID_VALUE`) as {@link canonicalJsonOfText} does;
 *   {@link CacheError} (`CACHE_INVALID_OPTION`) for bad options.
 *
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises";
 * import { cacheKeyOfText } from "clarity-cache";
 *
 * const key = cacheKeyOfText(await readFile("request.json"), { dialect: "python" });
 * ```
 */
export function cacheKeyOfText(text: string | Uint8Array, options?: KeyOptions): string {
  return hashBytes(canonicalJsonOfText(text, options));
}

/** Decodes strict UTF-8 and refuses ill-formed strings and a byte-order mark. */
function decodeJsonText(text: unknown): string {
  let decoded: string;
  if (typeof text === "string") {
    if (!text.isWellFormed()) throw invalidText("text holds a lone surrogate (not UTF-8 text)");
    decoded = text;
  } else if (text instanceof Uint8Array) {
    try {
      decoded = strictUtf8.decode(text);
    } catch (cause) {
      throw invalidText("text is not valid UTF-8", cause);
    }
  } else {
    throw invalidText("text must be a string or a Uint8Array");
  }
  if (decoded.startsWith("\uFEFF")) throw invalidText("text starts with a byte-order mark");
  return decoded;
}

/**
 * The canonical form of decoded JSON text in the resolved dialect; used by `caseKey` too.
 *
 * @throws {@link CacheKeyError} (`CACHE_INVALID_VALUE`).
 */
export function canonicalJsonOfDecodedText(text: string, options: ResolvedKeyOptions): string {
  if (options.dialect === "python") return writePython(parsePythonJson(text), options.decimals);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw invalidText(`text is not JSON: ${(cause as Error).message}`, cause);
  }
  return canonicalJson(value, options);
}

function invalidText(message: string, cause?: unknown): CacheKeyError {
  return new CacheKeyError("CACHE_INVALID_VALUE", message, cause === undefined ? {} : { cause });
}
