/**
 * Rounding and float32 helpers shared by the calibration maths and the Ascend references.
 * Ascend hardware, Huawei's simulation kernels and AMCT's C++ all round half away from
 * zero (C `round`) and compute in float32; JavaScript's Math.round rounds half towards
 * +Infinity and computes in float64, so every place that must agree bit for bit with
 * them goes through these helpers.
 */

/*
 * Hot loops below avoid Math.* builtins: under jest's vm context every Math call crosses a
 * realm boundary and runs ~100× slower, while typed-array stores and bitwise ops do not.
 * In plain Node these forms are as fast as the builtins.
 */
const F32 = new Float32Array(1);

/** Nearest float32 (same result as Math.fround). */
export function f32(x: number): number {
  F32[0] = x;
  return F32[0];
}

const TWO31 = 2147483648;

/** Math.floor, via `| 0` when the result fits int32. */
export function floor(x: number): number {
  if (x > -TWO31 && x < TWO31) {
    const t = x | 0;
    return t > x ? t - 1 : t;
  }
  return Math.floor(x);
}

/** FLT_EPSILON: AMCT replaces any scale below it by 1 (util::ProcessScale). */
export const FLOAT32_EPSILON = 1.1920928955078125e-7;

/**
 * The float32 just below 0.5: for float32 t ≥ 0 below 2^23, floor(t + BELOW_HALF) computed in
 * float32 is round half away from zero, exactly (see runtime/kernels/ascend-quant.ts).
 */
export const BELOW_HALF = 0.5 - 2 ** -25;

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/**
 * Round half away from zero, exact for every double: `x - trunc(x)` is exact, so no
 * `floor(x + 0.5)` double-rounding surprise (0.49999999999999994 stays 0).
 */
export function roundHalfAwayFromZero(x: number): number {
  const t = x > -TWO31 && x < TWO31 ? x | 0 : Math.trunc(x);
  const frac = x - t;
  if (frac >= 0.5) return t + 1;
  if (frac <= -0.5) return t - 1;
  return t === 0 ? 0 : t; // normalise -0 to 0 so results compare equal with toBe(0)
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** AMCT's ProcessScale: scales too small to divide by safely become 1. */
export function processScale(scale: number): number {
  return scale < FLOAT32_EPSILON ? 1 : scale;
}

/** Quantized integer range of a signed `numBits` type, e.g. [-128, 127] for 8. */
export function intRange(numBits: number): { qmin: number; qmax: number } {
  const half = 2 ** (numBits - 1);
  return { qmin: -half, qmax: half - 1 };
}

const f32buf = new Float32Array(1);
const u32view = new Uint32Array(f32buf.buffer);

/** IEEE-754 bits of the float32 nearest to x. */
export function float32Bits(x: number): number {
  f32buf[0] = x;
  return u32view[0];
}

/** The float32 whose bits are `bits` (low 32 bits used). */
export function float32FromBits(bits: number): number {
  u32view[0] = bits >>> 0;
  return f32buf[0];
}
