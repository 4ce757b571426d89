import { describe, expect, it } from "vitest";
import { CacheKeyError } from "../../../src/errors/cache-key-error.js";
import { cacheKey } from "../../../src/keys/cache-key.js";
import { canonicalJson } from "../../../src/keys/canonical-json.js";
import { cacheKeyOfText, canonicalJsonOfText } from "../../../src/keys/canonical-json-text.js";

describe("canonicalJsonOfText in the default dialect", () => {
  it.each([
    ['{"b": [1.0, 2.50, 1e2], "a": "é😀", "\\u00e9": 0.123456789}'],
    ["[12345678901234567890, -0, 0.001953125]"],
    ['{"10": 1, "2": 2, "a": {"": null}}'],
  ])("equals canonicalJson(JSON.parse(text)) for %s", (text) => {
    expect(canonicalJsonOfText(text)).toBe(canonicalJson(JSON.parse(text)));
    expect(canonicalJsonOfText(Buffer.from(text, "utf8"), { decimals: null })).toBe(
      canonicalJson(JSON.parse(text), { decimals: null }),
    );
    expect(cacheKeyOfText(text)).toBe(cacheKey(JSON.parse(text)));
  });

  it("loses what JSON.parse loses: 1.0 is 1, and big ints are doubles", () => {
    expect(canonicalJsonOfText("[1.0, 12345678901234567890]")).toBe("[1,12345678901234567000]");
  });

  it("passes on canonicalJson's errors, with their path", () => {
    expect(() => canonicalJsonOfText('{"a": [1e400]}')).toThrow(CacheKeyError);
    try {
      canonicalJsonOfText('{"a": [1e400]}');
    } catch (error) {
      expect(error).toMatchObject({ code: "CACHE_INVALID_VALUE", path: "$.a[0]" });
    }
  });
});
