import { quantize } from "../quantize.js";
import { pythonFloatRepr } from "./float-repr.js";
import { PyInt, type PyValue } from "./tree.js";

/**
 * Writes `value` as Python 3's `json.dumps(quantize(value), sort_keys=True,
 * separators=(",", ":"))` does, after rounding every float (and only floats) as Python's
 * `round(x, decimals)`; `decimals` null leaves floats as they are.
 */
export function writePython(value: PyValue, decimals: number | null): string {
  switch (typeof value) {
    case "string":
      return pythonString(value);
    case "number":
      return pythonFloatRepr(quantizeFloat(value, decimals));
    case "boolean":
      return value ? "true" : "false";
  }
  if (value === null) return "null";
  if (value instanceof PyInt) return value.digits;
  let out: string;
  if (Array.isArray(value)) {
    out = "[";
    for (let index = 0; index < value.length; index++) {
      if (index > 0) out += ",";
      out += writePython(value[index] as PyValue, decimals);
    }
    return `${out}]`;
  }
  out = "{";
  for (const key of sortedKeys(value.keys())) {
    if (out.length > 1) out += ",";
    out += `${pythonString(key)}:${writePython(value.get(key) as PyValue, decimals)}`;
  }
  return `${out}}`;
}

/** Python's `round(x, decimals)` on a float: non-finite and integral floats stay as they are. */
function quantizeFloat(x: number, decimals: number | null): number {
  if (decimals === null || !Number.isFinite(x) || Number.isInteger(x)) return x;
  return quantize(x, decimals);
}

const needsAsciiEscape = /[\u007f-\uffff]/g;

const escapeUnit = (unit: string): string =>
  `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * A string as `json.dumps` writes it with `ensure_ascii`: `JSON.stringify` already writes
 * `\"`, `\\`, `\b \f \n \r \t`, `\u00XX` for other control characters and `\udXXX` for lone
 * surrogates, all as Python does; what is left is every UTF-16 unit from U+007F up, which Python
 * writes as `\uXXXX` in lowercase hex (an astral character as its surrogate pair).
 */
export function pythonString(value: string): string {
  return JSON.stringify(value).replace(needsAsciiEscape, escapeUnit);
}

const surrogate = /[\ud800-\udfff]/;

/**
 * Object keys in Python's order: by Unicode code point. That is the order of UTF-16 units
 * (JavaScript's default sort) unless a key holds a surrogate.
 */
export function sortedKeys(keys: Iterable<string>): string[] {
  const sorted = [...keys].sort();
  return sorted.some((key) => surrogate.test(key)) ? sorted.sort(compareCodePoints) : sorted;
}

/** Compares two strings by Unicode code point, as Python compares `str`s. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  let index = 0;
  while (index < length && a.charCodeAt(index) === b.charCodeAt(index)) index++;
  if (index === length) return a.length - b.length;
  // The first differing unit may be the second half of a pair whose first half is shared.
  if (index > 0 && isHighSurrogate(a.charCodeAt(index - 1))) {
    const left = a.codePointAt(index - 1) as number;
    const right = b.codePointAt(index - 1) as number;
    if (left !== right) return left - right;
  }
  return (a.codePointAt(index) as number) - (b.codePointAt(index) as number);
}

const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
