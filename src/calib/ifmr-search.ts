/**
 * The IFMR search shared by the exact reference and the streaming accumulator: which
 * order statistics to take, which clipping candidates to try, and how the winner becomes
 * scale_d / offset_d. Arithmetic mirrors AMCT's C++ kernel (ifmr.cpp), which works in
 * float32 throughout, so the same data gives the same candidates bit for bit.
 */
import { f32, processScale, roundHalfAwayFromZero } from '../quant/round';
import { candidateCount, IfmrParams, ScaleOffset } from './common';

export { candidateCount } from './common';

/**
 * Rank, counted from the top (1 = the maximum), of the `p` percentile among `n` values.
 * AMCT: `p == 1 ? 1 : n − floor(p·n)` with p·n a float32 product. In ascending 0-based
 * terms the max is `sorted[n − rank] = sorted[floor(p·n)]`, and the min with its own p
 * is `sorted[rank − 1]`. Clamped to [1, n] (float32 rounding can make p·n reach n).
 */
export function percentileRank(p: number, n: number): number {
  const pf = f32(p);
  if (Math.abs(pf - 1) < Number.EPSILON) return 1;
  const r = n - Math.floor(f32(pf * f32(n)));
  return r < 1 ? 1 : r > n ? n : r;
}

export interface Candidate {
  /** Clip value c = k·max (float32). */
  clip: number;
  /** Lower clamp bound: min (asymmetric) or −c (symmetric). */
  lo: number;
  /** Step of the grid, after the "below FLT_EPSILON becomes 1" rule. */
  scale: number;
}

/** Clamped order statistics: max ≥ 0 ≥ min (SPEC §7). */
export interface Range {
  max: number;
  min: number;
}

export function clampRange(max: number, min: number): Range {
  return { max: Math.max(0, f32(max)), min: Math.min(0, f32(min)) };
}

/** Candidate i: k = start + i·step, c = k·max, all float32 (AMCT's T = float). */
export function candidates(range: Range, params: IfmrParams): Candidate[] {
  const bits = params.numBits ?? 8;
  const start = f32(params.searchRange[0]);
  const step = f32(params.searchStep);
  const base = params.asymmetric ? range.max : Math.max(Math.abs(range.max), Math.abs(range.min));
  const out: Candidate[] = [];
  for (let i = 0, n = candidateCount(params); i < n; i++) {
    const clip = f32(f32(start + f32(i * step)) * base);
    if (params.asymmetric) {
      const scale = processScale(f32(f32(clip - range.min) / (2 ** bits - 1)));
      out.push({ clip, lo: range.min, scale });
    } else {
      // SPEC §7: c/127. (AMCT divides by 128 when |min| > |max|; see docs/calibration.md.)
      const scale = processScale(f32(clip / (2 ** (bits - 1) - 1)));
      out.push({ clip, lo: -clip, scale });
    }
  }
  return out;
}

/** Index of the least loss; the first one on ties, like std::min_element. */
export function argmin(losses: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < losses.length; i++) if (losses[i] < losses[best]) best = i;
  return best;
}

/** scale_d and offset_d of the winning candidate: offset = −round(min/s) − 2^(b−1). */
export function finish(best: Candidate, range: Range, params: IfmrParams): ScaleOffset {
  if (!params.asymmetric) return { scale: best.scale, offset: 0 };
  const half = 2 ** ((params.numBits ?? 8) - 1);
  const offset = -roundHalfAwayFromZero(f32(range.min / best.scale)) - half;
  return { scale: best.scale, offset: offset === 0 ? 0 : offset };
}
