import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../src/keys/canonical-json.js";
import { canonicalJsonOfText } from "../../../src/keys/canonical-json-text.js";
import { compareCodePoints } from "../../../src/keys/python/serialize.js";

const python = (value: unknown): string => canonicalJson(value, { dialect: "python" });

// Python sorts str keys by code point; JavaScript's default sort (and RFC 8785) by UTF-16 unit.
// The two differ only where a surrogate meets a unit from U+E000 up, or a lone surrogate.
describe("object keys are sorted by Unicode code point", () => {
  it("sorts ASCII keys as strings, array-index-like keys included", () => {
    expect(python({ b: 1, a: 2, "10": 3, "2": 4, A: 5, __proto__x: 6 })).toBe(
      '{"10":3,"2":4,"A":5,"__proto__x":6,"a":2,"b":1}',
    );
  });

  it("puts an astral key after U+E000..U+FFFF keys, unlike the default dialect", () => {
    const value = { "\u{1F600}": 1, "\uFFFF": 2, "\uE000": 3 };
    expect(python(value)).toBe('{"\\ue000":3,"\\uffff":2,"\\ud83d\\ude00":1}');
    expect(canonicalJson(value)).toBe('{"\u{1F600}":1,"\uE000":3,"\uFFFF":2}');
  });

  it("orders lone surrogates by their own code point", () => {
    // U+DC00 < U+E000 < U+10000, although the units of U+10000 (D800 DC00) sort first.
    const value = { "\u{10000}": 1, "\uDC00": 2, "\uE000": 3, "\uD800": 4 };
    expect(python(value)).toBe('{"\\ud800":4,"\\udc00":2,"\\ue000":3,"\\ud800\\udc00":1}');
  });

  it("sorts keys read from text the same way", () => {
    const text = '{"\\ud83d\\ude00": 1, "\\uffff": 2, "a": 3, "\\udc00": 4}';
    expect(canonicalJsonOfText(text, { dialect: "python" })).toBe(
      '{"a":3,"\\udc00":4,"\\uffff":2,"\\ud83d\\ude00":1}',
    );
  });

  it.each([
    ["a", "b", -1],
    ["ab", "a", 1],
    ["a", "a", 0],
    ["\u{10000}", "\uE000", 1],
    ["x\u{10000}", "x\uD800y", 1],
    ["x\uD800a", "x\uD800b", -1],
    ["\uDC00", "\u{10000}", -1],
    ["\u{10001}", "\u{10000}", 1],
  ])("compareCodePoints(%j, %j) has the sign of %i", (a, b, sign) => {
    expect(Math.sign(compareCodePoints(a, b))).toBe(sign);
  });
});
