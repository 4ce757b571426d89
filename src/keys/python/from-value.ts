import { CacheKeyError } from "../../errors/cache-key-error.js";
import { formatJsonPath, type PathSegment } from "../json-path.js";
import { writePython } from "./serialize.js";
import { maxDepth, maxIntDigits, PyInt, type PyObject, type PyValue } from "./tree.js";

/** Raised inside the walk; turned into a {@link CacheKeyError} with the full path at the top. */
class InvalidValue extends Error {
  readonly segments: PathSegment[] = [];
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * The python dialect's canonical form of an in-memory value. Python's types are read from
 * JavaScript's: an integral `number` (and a `bigint`) is an `int`, any other `number` (including
 * `NaN` and `±Infinity`) a `float`; strings may hold lone surrogates. The rest is as in the
 * default dialect: `toJSON` is called, `undefined` properties are omitted, and anything that is
 * not JSON data throws a {@link CacheKeyError} (`CACHE_INVALID_VALUE`) naming its path.
 */
export function pythonCanonicalJson(value: unknown, decimals: number | null): string {
  let tree: PyValue | undefined;
  try {
    tree = toPyValue(value, "", []);
  } catch (error) {
    if (!(error instanceof InvalidValue)) throw error;
    const path = formatJsonPath(error.segments.reverse());
    throw new CacheKeyError("CACHE_INVALID_VALUE", `${error.reason} at ${path}: not JSON data`, {
      path,
    });
  }
  if (tree === undefined) {
    throw new CacheKeyError("CACHE_INVALID_VALUE", "undefined at $: not JSON data", { path: "$" });
  }
  return writePython(tree, decimals);
}

/** The Python value of `value`; `undefined` for a value that JSON omits. */
function toPyValue(value: unknown, key: string, ancestors: object[]): PyValue | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return value;
    case "number":
      if (!Number.isInteger(value)) return value;
      return new PyInt(Number.isSafeInteger(value) ? String(value) : BigInt(value).toString());
    case "bigint":
      return pyIntOfBigInt(value);
    case "symbol":
      throw new InvalidValue("a symbol");
    case "function":
      throw new InvalidValue("a function");
    case "object":
      if (value === null) return null;
      return fromObject(value, key, ancestors);
  }
}

function pyIntOfBigInt(value: bigint): PyInt {
  const digits = value.toString();
  if (digits.length - (value < 0n ? 1 : 0) > maxIntDigits) {
    throw new InvalidValue(`an int of more than ${maxIntDigits} digits (Python cannot write it)`);
  }
  return new PyInt(digits);
}

function fromObject(
  value: object,
  key: string,
  ancestors: object[],
  callToJSON = true,
): PyValue | undefined {
  const toJSON = callToJSON ? (value as { toJSON?: unknown }).toJSON : undefined;
  if (typeof toJSON === "function") {
    const result = (toJSON as (key: string) => unknown).call(value, key);
    // As in JSON.stringify (and the default dialect), the result's own toJSON is not called.
    return typeof result === "object" && result !== null
      ? fromObject(result, key, ancestors, false)
      : toPyValue(result, key, ancestors);
  }
  if (ancestors.includes(value)) throw new InvalidValue("a cycle");
  if (ancestors.length >= maxDepth) throw new InvalidValue(`nesting deeper than ${maxDepth}`);
  ancestors.push(value);
  const result = Array.isArray(value)
    ? fromArray(value, ancestors)
    : fromPlainObject(value, ancestors);
  ancestors.pop();
  return result;
}

function fromArray(array: readonly unknown[], ancestors: object[]): PyValue[] {
  const result = new Array<PyValue>(array.length);
  let index = 0;
  try {
    for (; index < array.length; index++) {
      const item = toPyValue(array[index], String(index), ancestors);
      if (item === undefined) throw new InvalidValue("undefined in an array");
      result[index] = item;
    }
  } catch (error) {
    if (error instanceof InvalidValue) error.segments.push(index);
    throw error;
  }
  return result;
}

function fromPlainObject(object: object, ancestors: object[]): PyObject {
  const prototype = Object.getPrototypeOf(object) as object | null;
  if (prototype !== Object.prototype && prototype !== null && !isObjectPrototype(prototype)) {
    throw new InvalidValue(`an instance of ${describeClass(object)}`);
  }
  const result: PyObject = new Map();
  let key = "";
  try {
    for (key of Object.keys(object)) {
      const item = toPyValue((object as Record<string, unknown>)[key], key, ancestors);
      if (item !== undefined) result.set(key, item);
    }
  } catch (error) {
    if (error instanceof InvalidValue) error.segments.push(key);
    throw error;
  }
  return result;
}

/** An `Object.prototype` from another realm (a `vm` context, a worker's structured clone). */
function isObjectPrototype(prototype: object): boolean {
  return (
    Object.getPrototypeOf(prototype) === null &&
    Object.prototype.toString.call(prototype) === "[object Object]" &&
    typeof (prototype as { constructor?: unknown }).constructor === "function" &&
    (prototype as { constructor: { name: string } }).constructor.name === "Object"
  );
}

function describeClass(object: object): string {
  const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? name : "a class";
}
