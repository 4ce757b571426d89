import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../src/keys/canonical-json.js";
import { pythonFloatRepr } from "../../../src/keys/python/float-repr.js";

// Expected strings are Python 3's repr(float), written from its rules: the shortest digits that
// round-trip; an exponent when the decimal point would sit at 17 or more places right of the
// first digit (x >= 1e16) or 4 or more places left of it (x < 1e-4); the exponent has a sign and
// at least two digits; an integral value without an exponent ends in ".0".
describe("floats are written as Python's repr", () => {
  it.each([
    [1, "1.0"],
    [0.95, "0.95"],
    [1e-5, "1e-05"],
    [1.5e-7, "1.5e-07"],
    [1e16, "1e+16"],
    [1e15, "1000000000000000.0"],
    [9999999999999998, "9999999999999998.0"],
    [1.5e16, "1.5e+16"],
    [0.0001, "0.0001"],
    [0.00012, "0.00012"],
    [0.000099, "9.9e-05"],
    [1e-7, "1e-07"],
    [1e21, "1e+21"],
    [1e22, "1e+22"],
    [123456789e-30, "1.23456789e-22"],
    [1e100, "1e+100"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [5e-324, "5e-324"],
    [2.5e-308, "2.5e-308"],
    [-478, "-478.0"],
    [-1.5e-7, "-1.5e-07"],
    [-1e16, "-1e+16"],
    [0.1 + 0.2, "0.30000000000000004"],
    [123.456, "123.456"],
    [0, "0.0"],
    [-0, "-0.0"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
    [Number.NEGATIVE_INFINITY, "-Infinity"],
  ])("%s → %s", (value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });

  it("writes non-integral in-memory numbers as floats, unquantized with decimals null", () => {
    expect(
      canonicalJson([0.95, 1.5e-7, 1.5e16 + 2, -2.5], { dialect: "python", decimals: null }),
    ).toBe("[0.95,1.5e-07,15000000000000002,-2.5]");
  });
});
