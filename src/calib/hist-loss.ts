/**
 * IFMR's loss, mean (round(clamp(x, lo, c)/s)·s − x)², evaluated from a MomentHistogram.
 *
 * Each bin is modelled as a uniform density over mean ± √3·σ: the one interval whose
 * uniform distribution has the bin's exact count, mean and variance. The squared error of
 * values that share one quantized level q is n·((mean − q)² + σ²), a function of those
 * three numbers only, so the model is EXACT for every bin whose interval lies within one
 * quantization cell or one clipped side. Only bins straddling a rounding boundary (or the
 * clip points) are approximated, by splitting the uniform interval at the boundary.
 */
import { roundHalfAwayFromZero } from '../quant/round';
import { BinModel } from './moment-histogram';
import { lossSumsSimd } from './loss-simd';
import type { LossBins } from './loss-simd';

/** ∫ over [u, v] of (x − q)², in a form without cancellation when q is far away. */
function segment(u: number, v: number, q: number): number {
  const a = u - q;
  const b = v - q;
  return ((v - u) * (a * a + a * b + b * b)) / 3;
}

/** ∫ over [u, v] ⊆ [lo, c] of (x − round(x/s)·s)²: partial cells at the ends, s³/12 per full cell. */
function gridIntegral(u: number, v: number, s: number): number {
  const ku = roundHalfAwayFromZero(u / s);
  const kv = roundHalfAwayFromZero(v / s);
  if (ku === kv) return segment(u, v, ku * s);
  const first = segment(u, (ku + 0.5) * s, ku * s);
  const last = segment((kv - 0.5) * s, v, kv * s);
  return first + last + ((kv - ku - 1) * s * s * s) / 12;
}

function quantize(x: number, lo: number, c: number, s: number): number {
  const xc = x < lo ? lo : x > c ? c : x;
  return roundHalfAwayFromZero(xc / s) * s;
}

/** The bins as the loss loop reads them (what does not depend on the candidate is computed once), and their total count. */
interface PreparedBins extends LossBins {
  total: number;
}

function prepare(m: BinModel): PreparedBins {
  const k = m.n.length;
  const p: PreparedBins = { n: m.n, mean: m.mean, half: m.half, u: new Float64Array(k), v: new Float64Array(k), density: new Float64Array(k), total: m.total, tiny: m.width * 1e-9 };
  for (let i = 0; i < k; i++) {
    p.u[i] = m.mean[i] - m.half[i];
    p.v[i] = m.mean[i] + m.half[i];
    p.density[i] = m.n[i] / (2 * m.half[i]);
  }
  return p;
}

/**
 * Approximate IFMR loss of clip range [lo, c] with grid step s. One loop with every step
 * inline (it runs candidates × bins times, ~22 M on MobileNetV2's last batch); the
 * arithmetic, and so every loss bit, is that of the textbook form: per bin,
 * density · (∫ clipped below + ∫ clipped above + ∫ on the grid).
 */
function loss(p: PreparedBins, lo: number, c: number, s: number): number {
  const qLo = quantize(lo, lo, c, s);
  const qC = quantize(c, lo, c, s);
  const { n: ns, half: halves, u: us, v: vs, density } = p;
  let sum = 0;
  for (let k = 0; k < ns.length; k++) {
    const half = halves[k];
    if (half <= p.tiny) {
      const mean = p.mean[k];
      const d = quantize(mean, lo, c, s) - mean;
      sum += ns[k] * (d * d + (half * half) / 3);
      continue;
    }
    let u = us[k];
    let v = vs[k];
    let total = 0;
    if (u < lo) {
      const e = v < lo ? v : lo;
      total += segment(u, e, qLo);
      u = e;
    }
    if (v > c && v > u) {
      const b = u > c ? u : c;
      total += segment(b, v, qC);
      v = b;
    }
    if (v > u) total += gridIntegral(u, v, s);
    sum += density[k] * total;
  }
  return sum / p.total;
}

/**
 * The loss of each candidate clip range, over one histogram snapshot: on WebAssembly SIMD,
 * two candidates at a time with the same bits (loss-kernel-module.ts), else the loop above.
 * `simd: false` runs the loop (the tests compare the two).
 */
export function candidateLosses(m: BinModel, candidates: readonly { lo: number; clip: number; scale: number }[], simd = true): number[] {
  const p = prepare(m);
  const sums = simd ? lossSumsSimd(p, candidates.map((c) => ({ ...c, qLo: quantize(c.lo, c.lo, c.clip, c.scale), qC: quantize(c.clip, c.lo, c.clip, c.scale) }))) : undefined;
  return sums ? Array.from(sums, (sum) => sum / p.total) : candidates.map((c) => loss(p, c.lo, c.clip, c.scale));
}
