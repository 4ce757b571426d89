import { describe, expect, it } from "vitest";
import { CacheError } from "../../../src/errors/cache-error.js";
import { cacheKey } from "../../../src/keys/cache-key.js";
import { canonicalJson } from "../../../src/keys/canonical-json.js";
import { canonicalJsonOfText } from "../../../src/keys/canonical-json-text.js";
import { caseKey } from "../../../src/keys/case-key.js";

const value = { b: 1.5, a: "é", n: 2 };

describe("the dialect option", () => {
  it('defaults to "jcs"', () => {
    expect(canonicalJson(value)).toBe(canonicalJson(value, { dialect: "jcs" }));
    expect(canonicalJson(value)).toBe('{"a":"é","b":1.5,"n":2}');
    expect(cacheKey(value, {})).toBe(cacheKey(value, { dialect: "jcs" }));
  });

  it('"python" selects the reference backend\'s form', () => {
    expect(canonicalJson(value, { dialect: "python" })).toBe('{"a":"\\u00e9","b":1.5,"n":2}');
    expect(cacheKey(value, { dialect: "python" })).not.toBe(cacheKey(value));
  });

  it.each([["PYTHON"], ["py"], [""], [null], [1], [{}]])(
    "refuses %j with CACHE_INVALID_OPTION naming the option",
    async (dialect) => {
      const options = { dialect } as unknown as { dialect: "python" };
      for (const call of [
        () => canonicalJson(value, options),
        () => cacheKey(value, options),
        () => canonicalJsonOfText("{}", options),
      ]) {
        expect(call).toThrow(CacheError);
        expect(call).toThrow(/option "dialect" must be "jcs" or "python"/);
      }
      await expect(caseKey(".", options)).rejects.toMatchObject({
        code: "CACHE_INVALID_OPTION",
        message: expect.stringMatching(/"dialect"/) as unknown,
      });
    },
  );
});
