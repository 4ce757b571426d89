import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../src/keys/canonical-json.js";

const python = (value: unknown): string => canonicalJson(value, { dialect: "python" });

// json.dumps with ensure_ascii: \" \\ \b \f \n \r \t by name, other characters below U+0020 and
// every UTF-16 unit from U+007F up as \uXXXX in lowercase hex; "/" is not escaped.
describe("strings are escaped as Python's json.dumps writes them (ensure_ascii)", () => {
  it.each([
    ["plain ASCII", "report / v1", '"report / v1"'],
    ["quote and backslash", 'a"b\\c', '"a\\"b\\\\c"'],
    ["named control escapes", "\b\f\n\r\t", '"\\b\\f\\n\\r\\t"'],
    ["other control characters", "\u0000\u0001\u001f", '"\\u0000\\u0001\\u001f"'],
    ["DEL (U+007F)", "\u007f", '"\\u007f"'],
    ["Latin-1", "färg é", '"f\\u00e4rg \\u00e9"'],
    ["lowercase hex", "\u00ff\uabcd\uffff", '"\\u00ff\\uabcd\\uffff"'],
    ["line and paragraph separators", "\u2028\u2029", '"\\u2028\\u2029"'],
    ["an astral character as its surrogate pair", "😀", '"\\ud83d\\ude00"'],
    ["a lone high surrogate", "a\ud800b", '"a\\ud800b"'],
    ["a lone low surrogate", "\udfff", '"\\udfff"'],
  ])("%s", (_name, value, expected) => {
    expect(python(value)).toBe(expected);
  });

  it("escapes object keys the same way", () => {
    expect(python({ "é\ud800": 1 })).toBe('{"\\u00e9\\ud800":1}');
  });

  it("keeps the default dialect's UTF-8 output and its refusal of lone surrogates", () => {
    expect(canonicalJson("é😀")).toBe('"é😀"');
    expect(() => canonicalJson("\ud800")).toThrow(/lone surrogate/);
  });
});
