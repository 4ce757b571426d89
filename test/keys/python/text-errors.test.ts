import { describe, expect, it } from "vitest";
import { CacheError } from "../../../src/errors/cache-error.js";
import { CacheKeyError } from "../../../src/errors/cache-key-error.js";
import { cacheKeyOfText, canonicalJsonOfText } from "../../../src/keys/canonical-json-text.js";
import type { KeyOptions } from "../../../src/keys/key-options.js";

const python: KeyOptions = { dialect: "python" };

function textError(text: string | Uint8Array, options: KeyOptions = python): CacheKeyError {
  try {
    canonicalJsonOfText(text, options);
  } catch (error) {
    expect(error).toBeInstanceOf(CacheKeyError);
    expect(error).toMatchObject({ code: "CACHE_INVALID_VALUE" });
    return error as CacheKeyError;
  }
  throw new Error("expected CACHE_INVALID_VALUE");
}

// Text the reference cannot read (Python 3.11's json.loads after strict UTF-8 decoding).
describe("JSON text that the reference cannot read is refused", () => {
  it.each(["jcs", "python"] as const)("invalid UTF-8 bytes (%s dialect)", (dialect) => {
    const bytes = Uint8Array.from([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d]); // ["\xc3("]
    expect(textError(bytes, { dialect }).message).toMatch(/not valid UTF-8/);
    expect(
      textError(Uint8Array.from([0x22, 0xed, 0xa0, 0x80, 0x22]), { dialect }).cause,
    ).toBeDefined();
  });

  it.each(["jcs", "python"] as const)(
    "a byte-order mark, as bytes or in a string (%s)",
    (dialect) => {
      expect(textError(Uint8Array.from([0xef, 0xbb, 0xbf, 0x31]), { dialect }).message).toMatch(
        /byte-order mark/,
      );
      expect(textError("\uFEFF1", { dialect }).message).toMatch(/byte-order mark/);
    },
  );

  it("a string holding a raw lone surrogate (it has no UTF-8 form)", () => {
    expect(textError('["\ud800"]').message).toMatch(/lone surrogate/);
  });

  it("an int token of more than 4,300 digits", () => {
    expect(textError(`[1${"0".repeat(4300)}]`).message).toMatch(/more than 4300 digits/);
    expect(textError(`-${"9".repeat(4301)}`).message).toMatch(/more than 4300 digits/);
  });

  it.each([
    ["empty text", "", /unexpected end/],
    ["whitespace only", " \n", /unexpected end/],
    ["a trailing comma in an array", "[1,]", /expecting a value/],
    ["a trailing comma in an object", '{"a":1,}', /expecting a property name/],
    ["a comment", "[1] // note", /extra data/],
    ["a leading zero", "[01]", /expecting ',' or ']'/],
    ["a fraction without digits", "1.", /extra data/],
    ["an exponent without digits", "[1e]", /expecting ',' or ']'/],
    ["a lone minus", "-", /expecting a digit/],
    ["-NaN", "-NaN", /expecting a digit/],
    ["+1", "+1", /expecting a value/],
    ["a single-quoted string", "['a']", /expecting a value/],
    ["a raw control character in a string", '["a\tb"]', /control character/],
    ["an unterminated string", '["abc', /unterminated string/],
    ["an unterminated escape", '"abc\\', /unterminated string/],
    ["an invalid escape", '["\\x41"]', /invalid escape/],
    ["a short \\u escape", '["\\u12"]', /invalid escape/],
    ["an unquoted key", "{a: 1}", /expecting a property name/],
    ["a missing colon", '{"a" 1}', /expecting ':'/],
    ["a missing comma in an object", '{"a": 1 "b": 2}', /expecting ',' or '}'/],
    ["an unclosed array", "[1, 2", /expecting ',' or ']'/],
    ["a misspelt literal", "[nul]", /expecting a value/],
    ["a second value", "1 2", /extra data/],
    ["a form feed as whitespace", "\f1", /expecting a value/],
  ])("%s", (_name, text, reason) => {
    expect(textError(text).message).toMatch(reason);
  });

  it("names the line and column", () => {
    expect(textError('{\n  "a": 1,\n  "b": tru\n}').message).toMatch(/line 3 column 8/);
  });

  it("refuses nesting deeper than 1000, and reads 1000", () => {
    expect(textError(`${"[".repeat(1001)}${"]".repeat(1001)}`).message).toMatch(/deeper than 1000/);
    expect(canonicalJsonOfText(`${"[".repeat(1000)}${"]".repeat(1000)}`, python)).toHaveLength(
      2000,
    );
  });

  it("refuses a NaN token in the default dialect (JSON.parse's grammar), with the cause", () => {
    const error = textError("[NaN]", {});
    expect(error.message).toMatch(/not JSON/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it("refuses text that is neither a string nor bytes", () => {
    expect(textError(42 as unknown as string).message).toMatch(/string or a Uint8Array/);
  });

  it("refuses bad options before reading", () => {
    expect(() => cacheKeyOfText("[1]", { dialect: "py" as "python" })).toThrow(CacheError);
  });

  it("accepts what Python accepts: its four whitespace characters, escapes of any case", () => {
    expect(canonicalJsonOfText(' \t\r\n{ "a" :\r\n[ "\\u00E9\\/\\"" ] }\n', python)).toBe(
      '{"a":["\\u00e9/\\""]}',
    );
  });
});
