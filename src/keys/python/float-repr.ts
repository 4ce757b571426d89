/**
 * Python's `repr` of a float, as `json.dumps` writes it: the shortest digits that round-trip
 * (the same digits as `Number#toString`), in Python's layout. A decimal exponent is used when
 * the decimal point would sit more than 16 places right of the first digit or 4 or more places
 * left of it (`1e+16`, `1e-05`), written with a sign and at least two digits; an integral value
 * without an exponent gets `.0`. `NaN`, `Infinity` and `-Infinity` are written as `json.dumps`
 * writes them, and `-0.0` keeps its sign.
 */
export function pythonFloatRepr(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
  const text = String(x);
  const magnitude = Math.abs(x);
  // Here JavaScript writes the same digits in the same place, without an exponent.
  if (magnitude >= 1e-4 && magnitude < 1e16) return text.includes(".") ? text : `${text}.0`;
  const negative = x < 0;
  const { digits, point } = decimalDigits(negative ? text.slice(1) : text);
  const sign = negative ? "-" : "";
  // Outside [1e-4, 1e16) the decimal point sits at -4 or less, or at 17 or more: Python writes
  // an exponent, with a sign and at least two digits.
  const exponent = point - 1;
  const mantissa = digits.length > 1 ? `${digits[0] as string}.${digits.slice(1)}` : digits;
  const exponentDigits = String(Math.abs(exponent)).padStart(2, "0");
  return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${exponentDigits}`;
}

/**
 * Splits the text of a positive number (`Number#toString`) into significant digits (no leading
 * or trailing zeros) and the position of the decimal point relative to the first digit: the
 * value is `0.DIGITS × 10^point`.
 */
export function decimalDigits(text: string): { digits: string; point: number } {
  const e = text.indexOf("e");
  const mantissa = e === -1 ? text : text.slice(0, e);
  const exponent = e === -1 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf(".");
  const integerPart = dot === -1 ? mantissa : mantissa.slice(0, dot);
  const all = dot === -1 ? mantissa : integerPart + mantissa.slice(dot + 1);
  const leadingZeros = all.length - all.replace(/^0+/, "").length;
  const digits = all.slice(leadingZeros).replace(/0+$/, "");
  return { digits, point: integerPart.length - leadingZeros + exponent };
}
