/**
 * float32 → text exactly as protobuf's C++ text printer (and upb, which Python's protobuf
 * uses) writes it, since that is what AMCT's record files contain: `%.6g` (FLT_DIG digits)
 * when that reads back to the same float32, otherwise `%.9g`, which always does.
 * So 6/255 is written 0.0235294122 (as in AMCT's records) although 0.023529412 would
 * also read back: both are "shortest" in the %g-precision sense AMCT uses, and matching
 * AMCT byte for byte matters more than one digit.
 *
 * printf's rounding is exact (round half to even on the binary value), which JS's
 * toPrecision is not on ties, so the digits are produced from the exact value with BigInt.
 */

/** Exact decimal digits of a finite positive double: value = 0.d1d2d3… × 10^(exp10 + 1). */
function exactDigits(v: number): { digits: string; exp10: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp2 = biased - 1075;
  if (biased === 0) exp2 = -1074;
  else mantissa |= 1n << 52n;
  let digits: string;
  let scale10 = 0; // value = digits × 10^scale10
  if (exp2 >= 0) digits = (mantissa << BigInt(exp2)).toString();
  else {
    digits = (mantissa * 5n ** BigInt(-exp2)).toString();
    scale10 = exp2;
  }
  return { digits, exp10: digits.length - 1 + scale10 };
}

/** Rounds to `precision` significant digits, half to even, as glibc's printf does. */
function roundDigits(digits: string, exp10: number, precision: number): { kept: string; exp10: number } {
  if (digits.length <= precision) return { kept: digits.padEnd(precision, '0'), exp10 };
  let kept = digits.slice(0, precision);
  const rest = digits.slice(precision);
  const tie = rest[0] === '5' && /^0*$/.test(rest.slice(1));
  const up = rest[0] > '5' || (rest[0] === '5' && !tie) || (tie && Number(kept[kept.length - 1]) % 2 === 1);
  if (!up) return { kept, exp10 };
  kept = (BigInt(kept) + 1n).toString();
  if (kept.length > precision) return { kept: kept.slice(0, precision), exp10: exp10 + 1 };
  return { kept, exp10 };
}

/**
 * `precision` significant digits of v. JS's toExponential rounds the exact value
 * correctly except on exact ties (it rounds them up, printf to even); a tie shows as a
 * trailing 5 one digit further, and only then is the slow exact path needed.
 */
function significantDigits(v: number, precision: number): { kept: string; exp10: number } {
  const longer = v.toExponential(precision);
  if (longer[longer.indexOf('e') - 1] !== '5') {
    const [mantissa, exp] = v.toExponential(precision - 1).split('e');
    return { kept: mantissa.replace('.', ''), exp10: Number(exp) };
  }
  const exact = exactDigits(v);
  return roundDigits(exact.digits, exact.exp10, precision);
}

/** C's `%.<precision>g` for a finite positive number. */
function formatG(v: number, precision: number): string {
  const { kept, exp10 } = significantDigits(v, precision);
  if (exp10 < -4 || exp10 >= precision) {
    const frac = kept.slice(1).replace(/0+$/, '');
    const sign = exp10 < 0 ? '-' : '+';
    return `${kept[0]}${frac ? '.' + frac : ''}e${sign}${String(Math.abs(exp10)).padStart(2, '0')}`;
  }
  if (exp10 >= 0) {
    const frac = kept.slice(exp10 + 1).replace(/0+$/, '');
    return kept.slice(0, exp10 + 1) + (frac ? '.' + frac : '');
  }
  const frac = ('0'.repeat(-exp10 - 1) + kept).replace(/0+$/, '');
  return `0.${frac}`;
}

/** Text for a float32 field; `value` is rounded to float32 first. */
export function formatFloat32(value: number): string {
  const v = Math.fround(value);
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';
  const magnitude = Math.abs(v);
  const short = formatG(magnitude, 6);
  if (Math.fround(Number(short)) === magnitude) return sign + short;
  return sign + formatG(magnitude, 9);
}
