import { describe, expect, it } from "vitest";
import { CacheKeyError } from "../../../src/errors/cache-key-error.js";
import { canonicalJson } from "../../../src/keys/canonical-json.js";

const python = (value: unknown, decimals: number | null = 8): string =>
  canonicalJson(value, { dialect: "python", decimals });

// A JavaScript number cannot tell 1 from 1.0: in memory, an integral number is a Python int
// (its exact value, any size), any other number a float; a bigint is an int.
describe("in-memory numbers in the python dialect", () => {
  it("writes integral numbers as ints, exactly", () => {
    expect(python([1, 1.0, -478, 0, 2 ** 53, 2 ** 53 + 2])).toBe(
      "[1,1,-478,0,9007199254740992,9007199254740994]",
    );
  });

  it("writes -0 as the int 0 (an integral number is an int, and an int has no sign of zero)", () => {
    expect(python(-0)).toBe("0");
  });

  it("writes a huge integral number as the exact int of its binary value", () => {
    expect(python(1e21)).toBe("1000000000000000000000");
    expect(python(2 ** 70)).toBe("1180591620717411303424");
    expect(python(1e23)).toBe("99999999999999991611392");
  });

  it("writes a bigint as an int of any size", () => {
    expect(python(123456789012345678901234567890n)).toBe("123456789012345678901234567890");
    expect(python([-5n, 0n])).toBe("[-5,0]");
  });

  it("accepts a bigint of 4,300 digits and refuses one of 4,301 (Python cannot write it)", () => {
    const digits4300 = BigInt(`9${"0".repeat(4299)}`);
    expect(python(-digits4300)).toBe(`-9${"0".repeat(4299)}`);
    let error: unknown;
    try {
      python({ big: digits4300 * 10n });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CacheKeyError);
    expect(error).toMatchObject({ code: "CACHE_INVALID_VALUE", path: "$.big" });
    expect((error as Error).message).toMatch(/4300 digits/);
  });

  it("writes NaN and the infinities as Python does, where the default dialect refuses them", () => {
    const value = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    expect(python(value)).toBe("[NaN,Infinity,-Infinity]");
    expect(() => canonicalJson(value)).toThrow(CacheKeyError);
  });

  it("rounds floats as Python's round(x, 8), exact ties to even", () => {
    expect(python([0.001953125, -0.001953125, 0.005859375, 0.123456789])).toBe(
      "[0.00195312,-0.00195312,0.00585938,0.12345679]",
    );
  });

  it("keeps a float a float when it rounds to an integral value, and keeps -0.0", () => {
    expect(python([2.000000001, 1e-9, -1e-9, -0.000000004])).toBe("[2.0,0.0,-0.0,-0.0]");
  });

  it("does not round ints, and rounds to other decimals or not at all", () => {
    expect(python([123456789, 0.125, 0.375], 2)).toBe("[123456789,0.12,0.38]");
    expect(python([2.5, 3.5, 1234.5], 0)).toBe("[2.0,4.0,1234.0]");
    expect(python([0.123456789, 1e-9], null)).toBe("[0.123456789,1e-09]");
  });
});
