const powersOfTen = Array.from({ length: 16 }, (_, exponent) => 10 ** exponent);

// |fl(x * 10^d) - x * 10^d| <= ulp/2 <= |fl(x * 10^d)| * 2^-53. Twice that margin keeps the fast
// path away from every rounding boundary it cannot decide; the exact path decides those.
const fastPathMargin = 2 ** -52;
const twoToThe52 = 2 ** 52;

const float64 = new Float64Array(1);
const float64Bits = new BigUint64Array(float64.buffer);

/**
 * Rounds a finite, non-integer number to the multiple of 10^-`decimals` nearest to its exact
 * binary value, exact ties to even, and returns the double nearest to that decimal: the same
 * result as Python's `round(x, decimals)`, including `-0` for negative numbers that round to
 * zero.
 *
 * Most numbers take a fast path of one multiplication (whose error is bounded and checked);
 * numbers too close to a tie, or too large for the fast path, are decided exactly with BigInt.
 */
export function quantize(x: number, decimals: number): number {
  const scale = powersOfTen[decimals] as number;
  const scaled = x * scale;
  const magnitude = Math.abs(scaled);
  if (magnitude < twoToThe52) {
    const floor = Math.floor(scaled);
    const fraction = scaled - floor; // exact: floor and scaled share the binade
    if (Math.abs(fraction - 0.5) > magnitude * fastPathMargin) {
      const rounded = fraction < 0.5 ? floor : floor + 1;
      // n / 10^d with both operands exact is one correctly rounded division.
      return rounded === 0 ? (x < 0 ? -0 : 0) : rounded / scale;
    }
  }
  return quantizeExactly(x, decimals);
}

/** The exact path of {@link quantize}: BigInt arithmetic on the double's binary value. */
export function quantizeExactly(x: number, decimals: number): number {
  float64[0] = Math.abs(x);
  const bits = float64Bits[0] as bigint;
  const biasedExponent = Number(bits >> 52n);
  let mantissa = bits & 0xfffffffffffffn;
  let exponent: number;
  if (biasedExponent === 0) {
    exponent = -1074;
  } else {
    mantissa |= 0x10000000000000n;
    exponent = biasedExponent - 1075;
  }
  let quotient: bigint;
  if (exponent >= 0) {
    quotient = (mantissa << BigInt(exponent)) * 10n ** BigInt(decimals);
  } else {
    const numerator = mantissa * 10n ** BigInt(decimals);
    const denominator = 1n << BigInt(-exponent);
    quotient = numerator / denominator;
    const twiceRemainder = (numerator % denominator) * 2n;
    if (
      twiceRemainder > denominator ||
      (twiceRemainder === denominator && (quotient & 1n) === 1n)
    ) {
      quotient += 1n;
    }
  }
  // Parsing the decimal string is correctly rounded, unlike Number(quotient) / 10^d.
  const magnitude = Number(`${quotient}e-${decimals}`);
  return x < 0 ? -magnitude : magnitude;
}
