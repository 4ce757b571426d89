import { CacheKeyError } from "../../errors/cache-key-error.js";
import { maxDepth, maxIntDigits, PyInt, type PyObject, type PyValue } from "./tree.js";

/**
 * Reads JSON text as Python 3.11's `json.loads` does, keeping what `JSON.parse` loses: a number
 * token with `.`, `e` or `E` is a float (a JavaScript `number`, correctly rounded as Python's
 * `float()`), any other is an int of any size ({@link PyInt}) of at most 4,300 digits; `NaN`,
 * `Infinity` and `-Infinity` are floats; a duplicated object key keeps its last value; string
 * escapes may produce lone surrogates. Whitespace is space, tab, CR and LF only; raw control
 * characters in strings, comments, trailing commas, leading zeros and trailing data are errors.
 *
 * @throws {@link CacheKeyError} (`CACHE_INVALID_VALUE`) naming what is wrong, and the line and
 *   column.
 */
export function parsePythonJson(text: string): PyValue {
  const reader = new Reader(text);
  reader.skipWhitespace();
  const value = reader.value(0);
  reader.skipWhitespace();
  if (reader.at < text.length) reader.fail("extra data after the JSON value");
  return value;
}

/** The character codes the reader looks for. */
const Char = {
  Tab: 9,
  Newline: 10,
  Return: 13,
  Space: 32,
  Quote: 34,
  Plus: 43,
  Comma: 44,
  Minus: 45,
  Dot: 46,
  Zero: 48,
  Nine: 57,
  Colon: 58,
  UpperE: 69,
  UpperI: 73,
  UpperN: 78,
  OpenBracket: 91,
  Backslash: 92,
  CloseBracket: 93,
  LowerE: 101,
  LowerF: 102,
  LowerN: 110,
  LowerT: 116,
  OpenBrace: 123,
  CloseBrace: 125,
} as const;

const isDigit = (code: number): boolean => code >= Char.Zero && code <= Char.Nine;

/** The literal words and the value each one reads as. */
const literals = new Map<number, readonly [string, PyValue]>([
  [Char.LowerN, ["null", null]],
  [Char.LowerT, ["true", true]],
  [Char.LowerF, ["false", false]],
  [Char.UpperN, ["NaN", Number.NaN]],
  [Char.UpperI, ["Infinity", Number.POSITIVE_INFINITY]],
]);

class Reader {
  at = 0;

  constructor(readonly text: string) {}

  fail(reason: string, offset = this.at): never {
    const { line, column } = lineAndColumn(this.text, offset);
    throw new CacheKeyError(
      "CACHE_INVALID_VALUE",
      `text is not JSON: ${reason} at line ${line} column ${column}`,
    );
  }

  skipWhitespace(): void {
    const { text } = this;
    let at = this.at;
    for (;;) {
      const code = text.charCodeAt(at);
      if (code !== Char.Space && code !== Char.Newline && code !== Char.Return && code !== Char.Tab)
        break;
      at++;
    }
    this.at = at;
  }

  value(depth: number): PyValue {
    const code = this.text.charCodeAt(this.at);
    if (code === Char.Quote) return this.string();
    if (code === Char.Minus || isDigit(code)) return this.number();
    if (code === Char.OpenBrace) return this.object(depth + 1);
    if (code === Char.OpenBracket) return this.array(depth + 1);
    const literal = literals.get(code);
    if (literal !== undefined && this.text.startsWith(literal[0], this.at)) {
      this.at += literal[0].length;
      return literal[1];
    }
    return this.fail(this.at < this.text.length ? "expecting a value" : "unexpected end of text");
  }

  enter(depth: number): void {
    if (depth > maxDepth) this.fail(`nesting deeper than ${maxDepth}`);
    this.at++;
    this.skipWhitespace();
  }

  array(depth: number): PyValue[] {
    this.enter(depth);
    const items: PyValue[] = [];
    if (this.text.charCodeAt(this.at) === Char.CloseBracket) {
      this.at++;
      return items;
    }
    for (;;) {
      items.push(this.value(depth));
      this.skipWhitespace();
      const code = this.text.charCodeAt(this.at);
      this.at++;
      if (code === Char.CloseBracket) return items;
      if (code !== Char.Comma) this.fail("expecting ',' or ']'", this.at - 1);
      this.skipWhitespace();
    }
  }

  object(depth: number): PyObject {
    this.enter(depth);
    const members: PyObject = new Map();
    if (this.text.charCodeAt(this.at) === Char.CloseBrace) {
      this.at++;
      return members;
    }
    for (;;) {
      if (this.text.charCodeAt(this.at) !== Char.Quote) this.fail("expecting a property name");
      const key = this.string();
      this.skipWhitespace();
      if (this.text.charCodeAt(this.at) !== Char.Colon) this.fail("expecting ':'");
      this.at++;
      this.skipWhitespace();
      // Map#set keeps a duplicated key's last value, as a Python dict does.
      members.set(key, this.value(depth));
      this.skipWhitespace();
      const code = this.text.charCodeAt(this.at);
      this.at++;
      if (code === Char.CloseBrace) return members;
      if (code !== Char.Comma) this.fail("expecting ',' or '}'", this.at - 1);
      this.skipWhitespace();
    }
  }

  string(): string {
    const { text } = this;
    const start = this.at;
    let at = start + 1;
    let escaped = false;
    for (;;) {
      const code = text.charCodeAt(at);
      if (code === Char.Quote) break;
      if (code === Char.Backslash) {
        escaped = true;
        at += 2;
      } else if (!(code >= Char.Space)) {
        // A control character, or NaN past the end of the text.
        this.fail(at < text.length ? "a control character in a string" : "unterminated string", at);
      } else {
        at++;
      }
    }
    this.at = at + 1;
    if (!escaped) return text.slice(start + 1, at);
    // JSON.parse reads JSON's escapes exactly as Python does, lone surrogates included.
    try {
      return JSON.parse(text.slice(start, at + 1)) as string;
    } catch {
      return this.fail("an invalid escape in a string", start);
    }
  }

  number(): PyValue {
    const { text } = this;
    const start = this.at;
    let at = start;
    if (text.charCodeAt(at) === Char.Minus) {
      at++;
      if (text.startsWith("Infinity", at)) {
        this.at = at + 8;
        return Number.NEGATIVE_INFINITY;
      }
    }
    const intStart = at;
    if (text.charCodeAt(at) === Char.Zero) at++;
    else while (isDigit(text.charCodeAt(at))) at++;
    if (at === intStart) this.fail("expecting a digit", at);
    let isFloat = false;
    if (text.charCodeAt(at) === Char.Dot && isDigit(text.charCodeAt(at + 1))) {
      isFloat = true;
      at += 2;
      while (isDigit(text.charCodeAt(at))) at++;
    }
    const code = text.charCodeAt(at);
    if (code === Char.LowerE || code === Char.UpperE) {
      let exponentAt = at + 1;
      const sign = text.charCodeAt(exponentAt);
      if (sign === Char.Plus || sign === Char.Minus) exponentAt++;
      // As Python's scanner: an `e` without digits is not part of the number.
      if (isDigit(text.charCodeAt(exponentAt))) {
        isFloat = true;
        at = exponentAt + 1;
        while (isDigit(text.charCodeAt(at))) at++;
      }
    }
    this.at = at;
    const token = text.slice(start, at);
    if (isFloat) return Number(token);
    if (at - intStart > maxIntDigits) {
      this.fail(`an int of more than ${maxIntDigits} digits (Python 3.11's limit)`, start);
    }
    return new PyInt(token === "-0" ? "0" : token);
  }
}

/** The 1-based line and column of a UTF-16 offset in `text`, for error messages. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf("\n"); index !== -1 && index < offset;) {
    line++;
    lineStart = index + 1;
    index = text.indexOf("\n", lineStart);
  }
  return { line, column: offset - lineStart + 1 };
}
