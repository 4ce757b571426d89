import { describe, expect, it } from "vitest";
import { canonicalJsonOfText } from "../../../src/keys/canonical-json-text.js";

const pythonText = (text: string): string => canonicalJsonOfText(text, { dialect: "python" });

// Python's json.loads keeps a duplicated key's last value; so does JSON.parse.
describe("duplicated object keys keep their last value", () => {
  it("in the python dialect", () => {
    expect(pythonText('{"a": 1, "b": 2, "a": 3.0}')).toBe('{"a":3.0,"b":2}');
    expect(pythonText('{"x": {"k": [1], "k": {"k": 1, "k": 2}}}')).toBe('{"x":{"k":{"k":2}}}');
  });

  it("also when the keys are written with different escapes", () => {
    expect(pythonText('{"\\u00e9": 1, "é": 2}')).toBe('{"\\u00e9":2}');
  });

  it("with a __proto__ key, an ordinary key like any other", () => {
    expect(pythonText('{"__proto__": 1, "__proto__": {"a": 2}}')).toBe('{"__proto__":{"a":2}}');
  });

  it("in the default dialect too", () => {
    expect(canonicalJsonOfText('{"a": 1, "a": 2}')).toBe('{"a":2}');
  });
});
