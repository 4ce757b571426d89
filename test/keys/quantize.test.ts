import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/keys/canonical-json.js";
import { quantize, quantizeExactly } from "../../src/keys/quantize.js";

// An exact reference, independent of the implementation: write the double's binary value out
// as a decimal (every double is m · 2^e, and m · 2^-k = m · 5^k / 10^k), round that decimal
// half-to-even at `decimals` places by looking at its digits, then parse the rounded decimal.

interface ExactDecimal {
  negative: boolean;
  /** The integer part's digits. */
  integer: string;
  /** Every fraction digit of the exact value, without trailing zeros ("" for an integer). */
  fraction: string;
}

function bitsOf(x: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0);
}

function fromBits(bits: bigint): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

function exactDecimal(x: number): ExactDecimal {
  const bits = bitsOf(x);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fractionBits = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fractionBits : fractionBits | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  if (exponent >= 0)
    return { negative, integer: (mantissa << BigInt(exponent)).toString(), fraction: "" };
  const places = -exponent;
  const digits = (mantissa * 5n ** BigInt(places)).toString().padStart(places + 1, "0");
  return {
    negative,
    integer: digits.slice(0, digits.length - places),
    fraction: digits.slice(digits.length - places).replace(/0+$/, ""),
  };
}

/** Python's round(x, decimals): nearest multiple of 10^-decimals to the exact value, ties to even. */
function referenceQuantize(x: number, decimals: number): number {
  const { negative, integer, fraction } = exactDecimal(x);
  const padded = fraction.padEnd(decimals, "0");
  const kept = padded.slice(0, decimals);
  const rest = padded.slice(decimals);
  let digits = BigInt(integer + kept);
  const restIsZero = /^0*$/.test(rest);
  if (!restIsZero) {
    const first = rest.charCodeAt(0) - 48;
    const exactlyHalf = first === 5 && /^0*$/.test(rest.slice(1));
    if (first > 5 || (first === 5 && !exactlyHalf) || (exactlyHalf && digits % 2n === 1n)) {
      digits += 1n;
    }
  }
  return Number(`${negative ? "-" : ""}${digits}e-${decimals}`);
}

/** Whether x lies exactly halfway between two multiples of 10^-decimals. */
function isExactTie(x: number, decimals: number): boolean {
  const rest = exactDecimal(x).fraction.slice(decimals);
  return /^50*$/.test(rest);
}

const nextUp = (x: number): number => fromBits(bitsOf(x) + (x >= 0 ? 1n : -1n));
const nextDown = (x: number): number => fromBits(bitsOf(x) - (x > 0 ? 1n : -1n));

const decimalsArb = fc.integer({ min: 0, max: 15 });

/** Finite non-integers with exponents across the whole range, all significands. */
const anyNonInteger = fc
  .tuple(
    fc.boolean(),
    fc.integer({ min: 0, max: 2046 }),
    fc.bigInt({ min: 0n, max: 2n ** 52n - 1n }),
  )
  .map(([negative, biased, fraction]) =>
    fromBits((negative ? 1n << 63n : 0n) | (BigInt(biased) << 52n) | fraction),
  )
  .filter((x) => Number.isFinite(x) && !Number.isInteger(x));

/** Non-integers of the magnitudes reports hold: exponents -60..51. */
const moderateNonInteger = fc
  .tuple(
    fc.boolean(),
    fc.integer({ min: 1023 - 60, max: 1023 + 51 }),
    fc.bigInt({ min: 0n, max: 2n ** 52n - 1n }),
  )
  .map(([negative, biased, fraction]) =>
    fromBits((negative ? 1n << 63n : 0n) | (BigInt(biased) << 52n) | fraction),
  )
  .filter((x) => !Number.isInteger(x));

/**
 * Exact ties at d decimals. x = (n + 1/2) · 10^-d = (2n + 1) / (2^(d+1) · 5^d) is a double only
 * if 5^d divides the odd 2n + 1, so the ties are exactly the odd multiples j of 2^-(d+1):
 * x = j / 2^(d+1) with j odd (and j < 2^53, so x is exact).
 */
const exactTie = fc
  .tuple(
    decimalsArb,
    fc.bigInt({ min: 0n, max: 2n ** 52n - 1n }),
    fc.boolean(),
    fc.integer({ min: 0, max: 52 }),
  )
  .map(([decimals, t, negative, bits]) => {
    const j = ((2n * t + 1n) & ((1n << BigInt(bits + 1)) - 1n)) | 1n; // odd, of 1..53 bits
    const x = Number(j) / 2 ** (decimals + 1);
    return { x: negative ? -x : x, decimals };
  });

const expectSame = (actual: number, expected: number, label: string): void => {
  expect(Object.is(actual, expected), `${label}: got ${actual}, want ${expected}`).toBe(true);
};

describe("the reference itself", () => {
  it("expands doubles exactly", () => {
    const tenth = exactDecimal(0.1);
    expect(tenth.integer).toBe("0");
    expect(tenth.fraction).toBe("1000000000000000055511151231257827021181583404541015625");
    expect(exactDecimal(-2.5)).toEqual({ negative: true, integer: "2", fraction: "5" });
    expect(exactDecimal(5e-324).fraction).toHaveLength(1074);
  });

  it("rounds like Python's round()", () => {
    expect(referenceQuantize(2.675, 2)).toBe(2.67); // 2.67499999999999982236431605997495353221893310546875
    expect(referenceQuantize(0.125, 2)).toBe(0.12);
    expect(referenceQuantize(0.375, 2)).toBe(0.38);
    expect(Object.is(referenceQuantize(-0.5, 0), -0)).toBe(true);
  });
});

describe("quantize", () => {
  it.each([
    [0.001953125, 0.00195312],
    [-0.001953125, -0.00195312],
    [0.005859375, 0.00585938],
    [0.123456789, 0.12345679],
    [1e-9, 0],
  ])("follows the contract's example %s → %s", (x, expected) => {
    expectSame(quantize(x, 8), expected, String(x));
    expect(canonicalJson(x)).toBe(JSON.stringify(expected));
  });

  it("gives -0 for negative numbers that round to zero", () => {
    expectSame(quantize(-1e-9, 8), -0, "-1e-9");
    expectSame(quantize(-0.4, 0), -0, "-0.4");
    expectSame(quantize(-0.5, 0), -0, "-0.5 (tie to even 0)");
    expectSame(quantize(-4e-16, 15), -0, "-4e-16");
    expectSame(quantize(-5e-324, 15), -0, "-5e-324");
    // JSON has no -0: it is written as 0.
    expect(canonicalJson({ v: -1e-9 })).toBe('{"v":0}');
  });

  it("rounds exact ties to even, unlike toFixed", () => {
    expectSame(quantize(0.5, 0), 0, "0.5");
    expectSame(quantize(1.5, 0), 2, "1.5");
    expectSame(quantize(2.5, 0), 2, "2.5");
    expectSame(quantize(-2.5, 0), -2, "-2.5");
    expectSame(quantize(0.125, 2), 0.12, "0.125");
    expectSame(quantize(0.375, 2), 0.38, "0.375");
    expectSame(quantize(0.0625, 3), 0.062, "0.0625");
    expect((0.001953125).toFixed(8)).toBe("0.00195313"); // why toFixed is not used
  });

  it("rounds the exact binary value, not the shortest decimal", () => {
    expectSame(quantize(2.675, 2), 2.67, "2.675");
    expectSame(quantize(0.35, 1), 0.3, "0.35");
    expectSame(quantize(1.0005, 3), 1, "1.0005");
    expectSame(quantize(0.1 + 0.2, 8), 0.3, "0.1 + 0.2");
  });

  it("decides subnormal numbers exactly, on both paths", () => {
    for (const x of [5e-324, -5e-324, 1e-310, -2.225073858507201e-308]) {
      for (const d of [0, 8, 15]) {
        expectSame(quantizeExactly(x, d), x < 0 ? -0 : 0, `${x} at ${d} (exact path)`);
        expectSame(quantize(x, d), x < 0 ? -0 : 0, `${x} at ${d}`);
      }
    }
  });

  it("leaves integers untouched in canonical JSON", () => {
    for (const n of [
      0,
      1,
      -7,
      123456789012,
      2 ** 53,
      -(2 ** 53) - 2,
      1e21,
      1e300,
      -1.7976931348623157e308,
    ]) {
      expect(canonicalJson(n)).toBe(JSON.stringify(n));
      expect(canonicalJson(n, { decimals: 0 })).toBe(JSON.stringify(n));
    }
    expectSame(quantize(2 ** 60, 2), 2 ** 60, "2^60");
    expectSame(quantizeExactly(2 ** 60, 2), 2 ** 60, "2^60 exactly");
    expectSame(quantize(12345, 3), 12345, "12345");
  });

  it.each(Array.from({ length: 16 }, (_, d) => d))("rounds at decimals = %i", (d) => {
    // j · 2^-(d+1) with j odd is a tie at d decimals; j = 1 rounds down to even, j = 3 up.
    const tie = 3 / 2 ** (d + 1);
    const lowTie = 1 / 2 ** (d + 1);
    expect(isExactTie(tie, d)).toBe(true);
    expect(isExactTie(lowTie, d)).toBe(true);
    // lowTie · 10^d = 5^d / 2 = n + 1/2 with n = (5^d - 1) / 2, which is even (5^d ≡ 1 mod 4);
    // tie · 10^d = 3 · 5^d / 2 = n + 1/2 with n = (3 · 5^d - 1) / 2, which is odd.
    const five = 5n ** BigInt(d);
    expectSame(quantize(lowTie, d), Number(`${(five - 1n) / 2n}e-${d}`), `${lowTie} at ${d}`);
    expectSame(quantize(tie, d), Number(`${(3n * five + 1n) / 2n}e-${d}`), `${tie} at ${d}`);
    for (const x of [
      tie,
      -tie,
      lowTie,
      -lowTie,
      nextUp(tie),
      nextDown(tie),
      Math.PI,
      -Math.E,
      1 / 3,
      123.45678901234568,
      0.1,
    ]) {
      expectSame(quantize(x, d), referenceQuantize(x, d), `${x} at ${d}`);
      expectSame(quantizeExactly(x, d), referenceQuantize(x, d), `${x} at ${d} (exact path)`);
    }
    // The quantized value prints with at most d decimals.
    const printed = String(quantize(Math.PI, d));
    expect(printed.split(".")[1]?.length ?? 0).toBeLessThanOrEqual(d);
  });

  it("agrees with the exact reference on doubles of every magnitude", () => {
    fc.assert(
      fc.property(anyNonInteger, decimalsArb, (x, d) => {
        expectSame(quantize(x, d), referenceQuantize(x, d), `${x} at ${d}`);
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees with the exact reference on report-sized doubles", () => {
    fc.assert(
      fc.property(moderateNonInteger, decimalsArb, (x, d) => {
        expectSame(quantize(x, d), referenceQuantize(x, d), `${x} at ${d}`);
      }),
      { numRuns: 5000 },
    );
  });

  it("agrees on exact ties, which the generator really produces", () => {
    fc.assert(
      fc.property(exactTie, ({ x, decimals }) => {
        if (Number.isInteger(x)) return; // j / 2^(d+1) with j odd never is; keep the guard honest
        expect(isExactTie(x, decimals), `${x} is a tie at ${decimals}`).toBe(true);
        expectSame(quantize(x, decimals), referenceQuantize(x, decimals), `${x} at ${decimals}`);
      }),
      { numRuns: 5000 },
    );
  });

  it("agrees one ulp either side of exact ties", () => {
    fc.assert(
      fc.property(exactTie, ({ x, decimals }) => {
        for (const y of [nextUp(x), nextDown(x)]) {
          expect(isExactTie(y, decimals)).toBe(false);
          expectSame(quantize(y, decimals), referenceQuantize(y, decimals), `${y} at ${decimals}`);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees on near-ties: (n + 1/2) · 10^-d rounded to a double", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), decimalsArb, (n, d) => {
        const x = (n + 0.5) / 10 ** d;
        fc.pre(!Number.isInteger(x));
        expectSame(quantize(x, d), referenceQuantize(x, d), `${x} at ${d}`);
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees where the fast path cannot decide: |x · 10^d| ≥ 2^52", () => {
    const large = fc
      .tuple(decimalsArb, fc.double({ min: 1, max: 2 ** 52, noNaN: true }), fc.boolean())
      .map(([d, magnitude, negative]) => {
        const x = Math.max(magnitude, 2 ** 52 / 10 ** d);
        return { x: negative ? -x : x, d };
      })
      .filter(({ x, d }) => !Number.isInteger(x) && Math.abs(x * 10 ** d) >= 2 ** 52);
    fc.assert(
      fc.property(large, ({ x, d }) => {
        expect(Math.abs(x * 10 ** d)).toBeGreaterThanOrEqual(2 ** 52);
        expectSame(quantize(x, d), referenceQuantize(x, d), `${x} at ${d}`);
      }),
      { numRuns: 3000 },
    );
  });
});
