import { CacheKeyError } from "../errors/cache-key-error.js";
import { formatJsonPath, type PathSegment } from "./json-path.js";

/**
 * How deep values may nest. Python's `json.dumps` stops near the same depth (its recursion
 * limit), and a clear error beats a stack overflow.
 */
export const maxDepth = 1000;

// A path in a message is cut to this many characters; the error's `path` keeps all of it.
const maxPathInMessage = 200;

/**
 * Raised inside a walk over a value (either dialect); each level adds its segment while the
 * error unwinds, and {@link invalidValueError} turns it into the public error at the top.
 */
export class InvalidValue extends Error {
  readonly segments: PathSegment[] = [];
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The {@link CacheKeyError} (`CACHE_INVALID_VALUE`) for a walk's {@link InvalidValue}. */
export function invalidValueError(error: InvalidValue): CacheKeyError {
  const path = formatJsonPath(error.segments.reverse());
  const shown =
    path.length > maxPathInMessage ? `${path.slice(0, maxPathInMessage)}… (see .path)` : path;
  return new CacheKeyError("CACHE_INVALID_VALUE", `${error.reason} at ${shown}: not JSON data`, {
    path,
  });
}

/** The error for `undefined` as the whole value. */
export function undefinedValueError(): CacheKeyError {
  return new CacheKeyError("CACHE_INVALID_VALUE", "undefined at $: not JSON data", { path: "$" });
}

/** Throws unless `value` can be entered: not one of its own ancestors, and not too deep. */
export function assertEnterable(value: object, ancestors: readonly object[]): void {
  if (ancestors.includes(value)) throw new InvalidValue("a cycle");
  if (ancestors.length >= maxDepth) throw new InvalidValue(`nesting deeper than ${maxDepth}`);
}

/**
 * Throws unless `object` is a plain object — its prototype is `Object.prototype` (of this realm
 * or another: a `vm` context, a worker's structured clone) or `null` — without enumerable
 * symbol-keyed properties, which JSON would drop silently.
 */
export function assertPlainObject(object: object): void {
  const prototype = Object.getPrototypeOf(object) as object | null;
  if (prototype === Object.prototype || prototype === null || isObjectPrototype(prototype)) {
    for (const symbol of Object.getOwnPropertySymbols(object)) {
      if (Object.prototype.propertyIsEnumerable.call(object, symbol)) {
        throw new InvalidValue(`a property keyed by ${symbol.toString()}`);
      }
    }
    return;
  }
  const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
  throw new InvalidValue(
    `an instance of ${typeof name === "string" && name !== "" ? name : "a class"}`,
  );
}

/** An `Object.prototype` from another realm. */
function isObjectPrototype(prototype: object): boolean {
  return (
    Object.getPrototypeOf(prototype) === null &&
    Object.prototype.toString.call(prototype) === "[object Object]" &&
    typeof (prototype as { constructor?: unknown }).constructor === "function" &&
    (prototype as { constructor: { name: string } }).constructor.name === "Object"
  );
}
