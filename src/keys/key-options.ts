import { CacheError } from "../errors/cache-error.js";

/**
 * Options of {@link canonicalJson}, {@link cacheKey}, {@link canonicalJsonOfText},
 * {@link cacheKeyOfText} and (with its `files`) {@link caseKey}.
 */
export interface KeyOptions {
  /**
   * Decimal places that non-integer numbers are rounded to before serializing (ties to even, as
   * Python's `round(x, decimals)`): an integer from 0 to 15, or `null` for no rounding.
   *
   * @defaultValue `8`
   */
  decimals?: number | null | undefined;
  /**
   * Which canonical form to write.
   *
   * - `"jcs"`: RFC 8785 (JSON Canonicalization Scheme) after quantization — the portable
   *   choice, and what every JCS implementation in any language computes.
   * - `"python"`: byte for byte what the reference backend writes, Python 3's
   *   `json.dumps(quantize(o), sort_keys=True, separators=(",", ":"))` — for sharing keys with
   *   it. Non-ASCII is escaped as `\uXXXX`, floats are written as Python's `repr` (`1.0`,
   *   `1e-05`), keys are sorted by code point, and `NaN`, `±Infinity` and lone surrogates are
   *   accepted. For in-memory values an integral `number` (and a `bigint`) is a Python `int`,
   *   any other `number` a `float`; to keep `1.0` apart from `1`, key the JSON text with
   *   {@link canonicalJsonOfText} or {@link cacheKeyOfText}. See the "Python dialect" guide.
   *
   * @defaultValue `"jcs"`
   */
  dialect?: "jcs" | "python" | undefined;
}

/** The default of {@link KeyOptions.decimals}. */
export const defaultDecimals = 8;

/** Validated key options: `decimals` is a whole number 0..15, or null for no quantization. */
export interface ResolvedKeyOptions {
  decimals: number | null;
  dialect: "jcs" | "python";
}

/** Checks `options` and fills in defaults; a bad value throws `CACHE_INVALID_OPTION`. */
export function resolveKeyOptions(options: unknown): ResolvedKeyOptions {
  if (options === undefined) return { decimals: defaultDecimals, dialect: "jcs" };
  if (typeof options !== "object" || options === null) {
    throw new CacheError(
      "CACHE_INVALID_OPTION",
      `key options must be an object, got ${describe(options)}`,
    );
  }
  const { decimals = defaultDecimals } = options as KeyOptions;
  if (
    decimals !== null &&
    (typeof decimals !== "number" || !Number.isInteger(decimals) || decimals < 0 || decimals > 15)
  ) {
    throw new CacheError(
      "CACHE_INVALID_OPTION",
      `option "decimals" must be an integer from 0 to 15 or null, got ${describe(decimals)}`,
    );
  }
  const { dialect = "jcs" } = options as { dialect?: unknown };
  if (dialect !== "jcs" && dialect !== "python") {
    throw new CacheError(
      "CACHE_INVALID_OPTION",
      `option "dialect" must be "jcs" or "python", got ${describe(dialect)}`,
    );
  }
  return { decimals, dialect };
}

/** A short description of a bad option value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return value.toString();
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  return String(value);
}
