/**
 * One JavaScript pass for a chain of elementwise steps of the deployable graph
 * (SPEC §6): [BiasAdd] → [AscendDequant] → [Relu | Relu6] → [AscendQuant] → [AscendAntiQuant],
 * each optional, in that order. Per quantized layer the graph runs the conv and then up to
 * five such ops; on wasm each is 1–8 backend ops of ~10 µs dispatch plus a pass over the
 * activation, so one pass writing straight into the output replaces up to 20 dispatches.
 *
 * Bit for bit what the ops compute one after another: every step rounds to float32 where
 * the reference (src/quant/ascend.ts) or the tfjs op does (a single +, ×, ÷ in float64
 * then Math.fround is exactly the float32 operation), in the same order; NaN, ±0 and ±Inf
 * behave as in each op (Relu6 of NaN is 0 on wasm, NaN on cpu, as the backends differ).
 */

const TWO31 = 2147483648;

export interface ChainSteps {
  /** A residual sum first: v = [a·antiA] + [b·antiB] (AscendAntiQuant, AddV2), b the second input. */
  sum?: { antiA?: number; antiB?: number };
  /** BiasAdd: one float32 value per channel (NHWC, the last axis). */
  bias?: Float32Array;
  /** AscendDequant: d and 2^N per channel (length C), k = kh·kw. */
  dequant?: { scale: Float32Array; pow2: Float64Array; k: number };
  act?: 'relu' | 'relu6';
  /** What Relu6 makes of NaN on this backend. */
  relu6NaN?: 'keep' | 'zero';
  /** AscendQuant: y = clamp(round(x·scale), lo, hi), round half away from zero (see ascend-cpu.ts). */
  quant?: { scale: number; lo: number; hi: number };
  /** AscendAntiQuant: y = x·scale. */
  antiQuant?: number;
}

/**
 * y[i] = steps(x[i]) with channel c = (first + i) mod channels; x and y may be views of one
 * heap, not overlapping. (The wasm passes do the same faster; this one runs where they cannot.)
 */
export function runChain(x: Float32Array, y: Float32Array, channels: number, s: ChainSteps, first = 0, x2?: Float32Array): void {
  const fround = Math.fround;
  const floor = Math.floor;
  const bias = s.bias;
  const dq = s.dequant;
  const k = dq ? dq.k : 1;
  const relu = s.act === 'relu';
  const relu6 = s.act === 'relu6';
  const keepNaN = s.relu6NaN !== 'zero';
  const quant = s.quant !== undefined;
  const qs = s.quant ? fround(s.quant.scale) : 1;
  const lo = s.quant ? s.quant.lo : 0;
  const hi = s.quant ? s.quant.hi : 0;
  const anti = s.antiQuant !== undefined;
  const as = fround(s.antiQuant ?? 1);
  const b = s.sum ? x2 : undefined;
  const [sa, sb] = [s.sum?.antiA, s.sum?.antiB].map((v) => (v === undefined ? undefined : fround(v)));
  for (let i = 0, c = first; i < x.length; i++) {
    let v = x[i];
    if (b) v = fround((sa === undefined ? v : fround(v * sa)) + (sb === undefined ? b[i] : fround(b[i] * sb)));
    if (bias) v = fround(v + bias[c]);
    if (dq) {
      const p2 = dq.pow2[c];
      let w = k === 1 ? v : fround(v * k);
      if (p2 !== 1) {
        // floor as the reference's (round.ts): -0 becomes 0, unlike Math.floor.
        const q = w / p2;
        const fl = q > -TWO31 && q < TWO31 ? (q | 0) - ((q | 0) > q ? 1 : 0) : floor(q);
        w = fl < -32768 ? -32768 : fl > 32767 ? 32767 : fl;
      } else {
        w = w < -TWO31 ? -TWO31 : w > TWO31 - 1 ? TWO31 - 1 : w;
      }
      v = fround(w * dq.scale[c]);
      if (p2 !== 1) v = fround(v * p2);
      if (k !== 1) v = fround(v / k);
    }
    if (relu) v = v > 0 ? v : v !== v ? v : 0;
    else if (relu6) v = v > 0 ? (v < 6 ? v : 6) : v !== v && keepNaN ? v : 0;
    if (quant) {
      const t = fround(v * qs);
      if (t !== t) v = t;
      else if (t <= lo) v = lo;
      else if (t >= hi) v = hi;
      else {
        // |t| < 2^31 here: truncate, then move away from zero on a fraction of at least one half.
        const tr = t | 0;
        const frac = t - tr;
        v = frac >= 0.5 ? tr + 1 : frac <= -0.5 ? tr - 1 : tr;
      }
    }
    if (anti) v = fround(v * as);
    y[i] = v;
    if (++c === channels) c = 0;
  }
}
