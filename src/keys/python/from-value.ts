import {
  assertEnterable,
  assertPlainObject,
  InvalidValue,
  invalidValueError,
  undefinedValueError,
} from "../json-data.js";
import { writePython } from "./serialize.js";
import { maxIntDigits, PyInt, type PyObject, type PyValue } from "./tree.js";

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
    throw invalidValueError(error);
  }
  if (tree === undefined) throw undefinedValueError();
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
  assertEnterable(value, ancestors);
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
  assertPlainObject(object);
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
