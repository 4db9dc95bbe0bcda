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

interface Grid {
  lo: number;
  c: number;
  s: number;
  qLo: number;
  qC: number;
}

/** ∫ over [u, v] of the squared quantization error, clipped parts included. */
function intervalIntegral(u: number, v: number, g: Grid): number {
  let total = 0;
  if (u < g.lo) {
    const e = v < g.lo ? v : g.lo;
    total += segment(u, e, g.qLo);
    u = e;
  }
  if (v > g.c && v > u) {
    const b = u > g.c ? u : g.c;
    total += segment(b, v, g.qC);
    v = b;
  }
  if (v > u) total += gridIntegral(u, v, g.s);
  return total;
}

function quantize(x: number, lo: number, c: number, s: number): number {
  const xc = x < lo ? lo : x > c ? c : x;
  return roundHalfAwayFromZero(xc / s) * s;
}

/** Approximate IFMR loss of clip range [lo, c] with grid step s. */
export function histogramLoss(m: BinModel, lo: number, c: number, s: number): number {
  const g: Grid = { lo, c, s, qLo: quantize(lo, lo, c, s), qC: quantize(c, lo, c, s) };
  // Intervals narrower than this are points: avoids 0/0 for constant bins.
  const tiny = m.width * 1e-9;
  let sum = 0;
  for (let k = 0; k < m.n.length; k++) {
    const n = m.n[k];
    const mean = m.mean[k];
    const half = m.half[k];
    if (half <= tiny) {
      const d = quantize(mean, lo, c, s) - mean;
      sum += n * (d * d + (half * half) / 3);
    } else {
      sum += (n / (2 * half)) * intervalIntegral(mean - half, mean + half, g);
    }
  }
  return sum / m.total;
}
