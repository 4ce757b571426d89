import {
  assertEnterable,
  assertPlainObject,
  InvalidValue,
  invalidValueError,
  undefinedValueError,
} from "./json-data.js";
import { type KeyOptions, resolveKeyOptions } from "./key-options.js";
import { pythonCanonicalJson } from "./python/from-value.js";
import { quantize } from "./quantize.js";

interface WalkState {
  readonly decimals: number | null;
  /** The objects and arrays being walked, outermost first: a repeat is a cycle. */
  readonly ancestors: object[];
  /** Whether a copied object has an array-index key, which property order cannot sort. */
  hasIndexKeys: boolean;
}

/**
 * Serializes `value` to its canonical JSON form: RFC 8785 (JCS) applied after rounding every
 * non-integer number to `decimals` places (default 8; `null` keeps numbers as they are).
 *
 * - Object keys are sorted by UTF-16 code units; there is no whitespace; strings and numbers
 *   are written as `JSON.stringify` writes them.
 * - Only JSON data is accepted: `null`, booleans, finite numbers, strings without lone
 *   surrogates, arrays, plain objects (prototype `Object.prototype` or `null`) and objects
 *   with a `toJSON` method such as `Date`. Properties whose value is `undefined` are omitted.
 *   Anything else throws a {@link CacheKeyError} with code `CACHE_INVALID_VALUE` whose `path`
 *   names the place, such as `$.axes[3].esi`.
 * - With `dialect: "python"` it writes the reference backend's form instead, Python's
 *   `json.dumps(quantize(o), sort_keys=True, separators=(",", ":"))`: see
 *   {@link KeyOptions.dialect}.
 *
 * @param value - the JSON data to serialize.
 * @param options - see {@link KeyOptions}.
 * @returns the canonical JSON text.
 * @throws {@link CacheKeyError} (`CACHE_INVALID_VALUE`) for a value that is not JSON data;
 *   {@link CacheError} (`CACHE_INVALID_OPTION`) for bad options.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "clarity-cache";
 *
 * canonicalJson({ b: 0.123456789, a: [1, "x"] }); // '{"a":[1,"x"],"b":0.12345679}'
 * canonicalJson({ b: 0.123456789 }, { decimals: null }); // '{"b":0.123456789}'
 * ```
 */
export function canonicalJson(value: unknown, options?: KeyOptions): string {
  const { decimals, dialect } = resolveKeyOptions(options);
  if (dialect === "python") return pythonCanonicalJson(value, decimals);
  const state: WalkState = { decimals, ancestors: [], hasIndexKeys: false };
  let copy: unknown;
  try {
    copy = toCanonicalCopy(value, "", state);
  } catch (error) {
    if (!(error instanceof InvalidValue)) throw error;
    throw invalidValueError(error);
  }
  if (copy === undefined) throw undefinedValueError();
  // The copy's objects hold their keys in sorted order, which JSON.stringify keeps, except that
  // array-index keys ("2", "10") always enumerate first, in numeric order.
  return state.hasIndexKeys ? stringifySorted(copy) : JSON.stringify(copy);
}

/**
 * Checks `value` and returns a copy with numbers quantized and object keys inserted in sorted
 * order; `undefined` for a value that JSON omits (an `undefined` property).
 */
function toCanonicalCopy(value: unknown, key: string, state: WalkState): unknown {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) throw new InvalidValue("a string with a lone surrogate");
      return value;
    case "number":
      if (!Number.isFinite(value)) throw new InvalidValue(String(value));
      if (state.decimals === null || Number.isInteger(value)) return value;
      return quantize(value, state.decimals);
    case "boolean":
      return value;
    case "undefined":
      return undefined;
    case "object":
      if (value === null) return null;
      return copyObject(value, key, state);
    case "bigint":
      throw new InvalidValue("a BigInt");
    case "symbol":
      throw new InvalidValue("a symbol");
    case "function":
      throw new InvalidValue("a function");
  }
}

function copyObject(value: object, key: string, state: WalkState, callToJSON = true): unknown {
  const toJSON = callToJSON ? (value as { toJSON?: unknown }).toJSON : undefined;
  if (typeof toJSON === "function") {
    const result = (toJSON as (key: string) => unknown).call(value, key);
    // As in JSON.stringify, the result's own toJSON is not called again (calling it would loop
    // forever on `toJSON() { return this; }`).
    return typeof result === "object" && result !== null
      ? copyObject(result, key, state, false)
      : toCanonicalCopy(result, key, state);
  }
  const { ancestors } = state;
  assertEnterable(value, ancestors);
  ancestors.push(value);
  const copy = Array.isArray(value) ? copyArray(value, state) : copyPlainObject(value, state);
  ancestors.pop();
  return copy;
}

function copyArray(array: readonly unknown[], state: WalkState): unknown[] {
  const copy = new Array<unknown>(array.length);
  let index = 0;
  try {
    for (; index < array.length; index++) {
      const item = toCanonicalCopy(array[index], String(index), state);
      if (item === undefined) throw new InvalidValue("undefined in an array");
      copy[index] = item;
    }
  } catch (error) {
    if (error instanceof InvalidValue) error.segments.push(index);
    throw error;
  }
  return copy;
}

function copyPlainObject(object: object, state: WalkState): Record<string, unknown> {
  assertPlainObject(object);
  const keys = Object.keys(object);
  // Array-index keys enumerate first, so one look at the first key finds any of them.
  if (keys.length > 0 && isDigit((keys[0] as string).charCodeAt(0))) state.hasIndexKeys = true;
  keys.sort();
  const copy: Record<string, unknown> = {};
  let key = "";
  try {
    for (key of keys) {
      if (!key.isWellFormed()) throw new InvalidValue("a key with a lone surrogate");
      const item = toCanonicalCopy((object as Record<string, unknown>)[key], key, state);
      if (item === undefined) continue;
      if (key === "__proto__") Object.defineProperty(copy, key, { value: item, enumerable: true });
      else copy[key] = item;
    }
  } catch (error) {
    if (error instanceof InvalidValue) error.segments.push(key);
    throw error;
  }
  return copy;
}

const isDigit = (code: number): boolean => code >= 48 && code <= 57;

/** Serializes a canonical copy, sorting keys itself: the path for objects with index keys. */
function stringifySorted(value: unknown): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stringifySorted).join(",")}]`;
  const entries = Object.keys(value)
    .sort()
    .map(
      (key) => `${JSON.stringify(key)}:${stringifySorted((value as Record<string, unknown>)[key])}`,
    );
  return `{${entries.join(",")}}`;
}
