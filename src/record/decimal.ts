/**
 * Decimal digits → double without making a string, bit for bit what Number() gives for
 * the same text. When the digits (as an integer, up to 2^53 - 1) and the power of ten
 * (at most 22: 10^22 is the largest exact double power) are both exact doubles, one
 * multiplication or division rounds once, correctly, so it equals the correctly rounded
 * value Number() computes (Clinger's fast path, the first thing every strtod tries).
 * Other numbers are left to Number() on their text.
 */

/** 10^0 … 10^22, each exact; read with Number() so no arithmetic can round them. */
const EXACT_POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** Whether 10^exp10 is an exact double (so `exactDecimal` is exact for a safe integer `digits`). */
export function hasExactPower(exp10: number): boolean {
  return exp10 >= -22 && exp10 <= 22;
}

/** digits × 10^exp10, correctly rounded; needs a safe integer `digits` and hasExactPower(exp10). */
export function exactDecimal(digits: number, exp10: number): number {
  return exp10 < 0 ? digits / EXACT_POW10[-exp10] : digits * EXACT_POW10[exp10];
}
