import { describe, expect, it } from "vitest";
import { cacheKeyOfText, canonicalJsonOfText } from "../../../src/keys/canonical-json-text.js";
import { hashBytes } from "../../../src/keys/hash-bytes.js";

const pythonText = (text: string, decimals: number | null = 8): string =>
  canonicalJsonOfText(text, { dialect: "python", decimals });

// In JSON text a number token with ".", "e" or "E" is a float, any other an int of any size.
describe("number tokens keep their type in the python dialect", () => {
  it("keeps 1.0 a float and 1 an int", () => {
    expect(pythonText("[1.0, 1, 1E2, 1e2, 2.50, -478.0]")).toBe("[1.0,1,100.0,100.0,2.5,-478.0]");
    expect(cacheKeyOfText("[1.0]", { dialect: "python" })).not.toBe(
      cacheKeyOfText("[1]", { dialect: "python" }),
    );
  });

  it("writes float tokens as Python's repr of the nearest double", () => {
    expect(
      pythonText("[1e-5, 0.000015, 1.5E-7, 1e16, 10000000000000000.0, 1e+2, 5e-324]", null),
    ).toBe("[1e-05,1.5e-05,1.5e-07,1e+16,1e+16,100.0,5e-324]");
  });

  it("keeps ints of any size exactly, and reads -0 as the int 0", () => {
    expect(pythonText("[12345678901234567890123, -98765432109876543210, -0, 0]")).toBe(
      "[12345678901234567890123,-98765432109876543210,0,0]",
    );
  });

  it("keeps -0.0, and turns out-of-range float tokens into ±Infinity and ±0.0", () => {
    expect(pythonText("[-0.0, 1e400, -1e400, 1e-400, -1e-400]")).toBe(
      "[-0.0,Infinity,-Infinity,0.0,-0.0]",
    );
  });

  it("reads NaN, Infinity and -Infinity tokens as floats", () => {
    expect(pythonText('{"a": NaN, "b": Infinity, "c": -Infinity}')).toBe(
      '{"a":NaN,"b":Infinity,"c":-Infinity}',
    );
  });

  it("rounds float tokens only, as round(x, 8), keeping -0.0", () => {
    expect(pythonText("[0.001953125, 5.494140625, -1e-9, 1e-9, 2.000000001, 123456789123]")).toBe(
      "[0.00195312,5.49414062,-0.0,0.0,2.0,123456789123]",
    );
    expect(pythonText("[2.5, 3, 3.5]", 0)).toBe("[2.0,3,4.0]");
  });

  it("accepts an int of 4,300 digits (sign not counted)", () => {
    const digits = `-1${"0".repeat(4299)}`;
    expect(pythonText(`[${digits}]`)).toBe(`[${digits}]`);
    expect(cacheKeyOfText(digits, { dialect: "python" })).toBe(hashBytes(digits));
  });

  it("accepts a float token of any length", () => {
    expect(pythonText(`0.${"3".repeat(5000)}`)).toBe("0.33333333");
  });
});
