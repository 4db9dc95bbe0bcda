/**
 * AscendQuant and AscendDequant as single JavaScript passes, for the cpu backend: there
 * every tfjs op is itself a JavaScript loop, so one loop beats the 4–8 ops of the
 * backend-op kernels several times over. They compute what the scalar references in
 * src/quant/ascend.ts compute, in the same float32 steps (the kernel tests compare them
 * on random and hand-picked data), but without per-element calls: float32 rounding is a
 * store into a Float32Array, channels are walked as nested loops instead of a division
 * per element. (No Math.* in the loops: under jest every Math call crosses a realm.)
 */

const TWO31 = 2147483648;

/**
 * y = clamp(round(x·scale), lo, hi) with round half away from zero; lo, hi are integers
 * (qmin − offset, qmax − offset). NaN stays NaN, as in the reference.
 */
export function quantizeLoop(x: Float32Array, scale: number, lo: number, hi: number): Float32Array {
  const y = new Float32Array(x.length);
  const s = Math.fround(scale);
  for (let i = 0; i < x.length; i++) {
    y[i] = x[i] * s; // the float32 product
    const v = y[i];
    if (v !== v) continue; // NaN: y[i] already holds it
    if (v <= lo) {
      y[i] = lo;
    } else if (v >= hi) {
      y[i] = hi;
    } else {
      // |v| < 2^31 here: truncate, then move away from zero on a fraction of at least one half.
      const t = v | 0;
      const frac = v - t;
      y[i] = frac >= 0.5 ? t + 1 : frac <= -0.5 ? t - 1 : t;
    }
  }
  return y;
}

export interface DequantLoopParams {
  /** float32 scale d per channel (or one). */
  scale: Float32Array;
  /** 2^N per channel (or one). */
  pow2: Float64Array;
  /** Channels on the channel axis (1 for per tensor) and the elements after it. */
  channels: number;
  inner: number;
  /** kh·kw. */
  k: number;
}

/**
 * v = x·k; N > 0: v = clamp(floor(v / 2^N), −32768, 32767), else clamp to int32;
 * y = ((v·d)·2^N)/k, each step rounded to float32.
 */
export function dequantizeLoop(x: Float32Array, p: DequantLoopParams): Float32Array {
  const y = new Float32Array(x.length);
  const f = new Float32Array(1);
  const { channels, inner, k } = p;
  const perChannel = p.scale.length > 1;
  const block = channels * inner;
  for (let start = 0; start < x.length; start += block) {
    for (let c = 0; c < channels; c++) {
      const d = p.scale[perChannel ? c : 0];
      const pow2 = p.pow2[perChannel ? c : 0];
      const from = start + c * inner;
      const to = from + inner;
      if (k === 1 && pow2 === 1) {
        for (let i = from; i < to; i++) {
          const v = x[i];
          y[i] = (v < -TWO31 ? -TWO31 : v > TWO31 - 1 ? TWO31 - 1 : v) * d;
        }
        continue;
      }
      for (let i = from; i < to; i++) {
        f[0] = x[i] * k;
        let v = f[0];
        if (pow2 !== 1) {
          const q = v / pow2;
          const fl = q > -TWO31 && q < TWO31 ? (q | 0) - ((q | 0) > q ? 1 : 0) : q;
          v = fl < -32768 ? -32768 : fl > 32767 ? 32767 : fl;
        } else {
          v = v < -TWO31 ? -TWO31 : v > TWO31 - 1 ? TWO31 - 1 : v;
        }
        f[0] = v * d;
        f[0] = f[0] * pow2;
        y[i] = f[0] / k;
      }
    }
  }
  return y;
}
