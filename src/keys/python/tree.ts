/**
 * The values the python dialect serializes, with Python's types made explicit: a JavaScript
 * `number` here is always a Python `float`, a {@link PyInt} is a Python `int` of any size, and a
 * `Map` is a `dict` (so that `"__proto__"` and duplicate keys need no care).
 */
export type PyValue = null | boolean | string | number | PyInt | PyValue[] | PyObject;

/** A Python `dict` with string keys. */
export type PyObject = Map<string, PyValue>;

/** A Python `int` of any size, held as its decimal text (`-?[0-9]+`, no leading zeros). */
export class PyInt {
  /** @param digits - the exact decimal text: `0`, or an optional `-` and digits without a leading zero. */
  constructor(readonly digits: string) {}
}

/**
 * Python 3.11 refuses to convert an int of more than this many decimal digits to or from text
 * (`sys.get_int_max_str_digits()`), so the reference can neither read nor write one.
 */
export const maxIntDigits = 4300;

/**
 * How deep values and JSON text may nest in the python dialect: the default dialect's bound.
 * Python's own limit is its recursion limit, which the reference reaches near 990 levels.
 */
export { maxDepth } from "../json-data.js";
