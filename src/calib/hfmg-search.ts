/**
 * HFMG's clipping search on a histogram (after AMCT's hfmg.cpp, itself PyTorch's
 * HistogramObserver._non_linear_param_search):
 * - candidates: start from all bins and repeatedly drop, from one end, enough bins to
 *   hold ceil(total/100000) values, choosing the end where that takes more bins (the
 *   sparser tail), until fewer than numBins/4 bins remain;
 * - loss of a candidate [L, R]: L2 error of re-binning the histogram into 2^numBits equal
 *   destination bins spanning bins L..R, values outside clamped to the end bins, with
 *   values uniform inside each source bin (closed-form integrals).
 * Differences from AMCT, on purpose: the unclipped range is a candidate too (AMCT always
 * clips at least one step, so uniform data could never keep its full range), and bins
 * left of L use signed distances (AMCT's unsigned `index − binIndexLeft` wraps around).
 */

import { clamp, floor } from '../quant/round';

export interface ClipBins {
  left: number;
  right: number;
}

const STEP_DIVISOR = 100000;
const MIN_BIN_RATIO = 4;

export function searchCandidates(counts: Float64Array): ClipBins[] {
  const nb = counts.length;
  let total = 0;
  for (let i = 0; i < nb; i++) total += counts[i];
  const step = Math.max(1, Math.ceil(Math.round(total) / STEP_DIVISOR));
  const minBins = Math.ceil(nb / MIN_BIN_RATIO);
  let left = 0;
  let right = nb - 1;
  const out: ClipBins[] = [{ left, right }];
  while (right - left > minBins) {
    let tl = left;
    let tr = right;
    let leftSum = 0;
    let rightSum = 0;
    while (tl < tr && leftSum < step) leftSum += counts[tl++];
    while (tl < tr && rightSum < step) rightSum += counts[tr--];
    if (right - tr >= tl - left) right = tr;
    else left = tl;
    out.push({ left, right });
  }
  return out;
}

/** density·∫ over [a, b] of x² = density·(b³ − a³)/3, written without cancellation. */
function norm(a: number, b: number, density: number): number {
  return (density * (b - a) * (a * a + a * b + b * b)) / 3;
}

/**
 * L2 error of quantizing the histogram (bin width `w`) to `levels` bins over [L, R], one
 * source bin at a time: O(numBins). The reference for `clipLoss`, and its fallback when
 * a destination bin is narrower than a source bin.
 */
export function clipLossDirect(counts: Float64Array, w: number, clip: ClipBins, levels: number): number {
  const dst = (w * (clip.right - clip.left + 1)) / levels;
  const last = levels - 1;
  const half = dst / 2;
  let loss = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i];
    if (n === 0) continue;
    const density = n / w;
    const begin = (i - clip.left) * w;
    const end = begin + w;
    const jb = clamp(floor(begin / dst), 0, last);
    const je = clamp(floor(end / dst), 0, last);
    const cb = jb * dst + half;
    if (jb === je) {
      loss += norm(begin - cb, end - cb, density);
    } else {
      const ce = je * dst + half;
      loss += norm(begin - cb, half, density);
      loss += (je - jb - 1) * norm(-half, half, density);
      loss += norm(-half, end - ce, density);
    }
  }
  return loss;
}

/**
 * Prefix sums over bins in bin-index units (bin i covers [i, i+1)): count, Σn·centre and
 * Σn·(centre² + 1/12), the last being Σn·E[t²] for values uniform in the bin. Any run of
 * whole bins sent to one level then costs O(1), which makes the search O(levels) per
 * candidate instead of O(numBins).
 */
export interface Prefix {
  p0: Float64Array;
  p1: Float64Array;
  p2: Float64Array;
}

export function prefixSums(counts: Float64Array): Prefix {
  const nb = counts.length;
  const p0 = new Float64Array(nb + 1);
  const p1 = new Float64Array(nb + 1);
  const p2 = new Float64Array(nb + 1);
  for (let i = 0; i < nb; i++) {
    const n = counts[i];
    const m = i + 0.5;
    p0[i + 1] = p0[i] + n;
    p1[i + 1] = p1[i] + n * m;
    p2[i + 1] = p2[i] + n * (m * m + 1 / 12);
  }
  return { p0, p1, p2 };
}

/** Σ over whole bins [a, b) of n·E[(t − c)²]. */
function wholeBins(p: Prefix, a: number, b: number, c: number): number {
  if (b <= a) return 0;
  const s0 = p.p0[b] - p.p0[a];
  const s1 = p.p1[b] - p.p1[a];
  const s2 = p.p2[b] - p.p2[a];
  const v = s2 - 2 * c * s1 + c * c * s0;
  return v > 0 ? v : 0; // rounding can leave a tiny negative
}

/** Same value as clipLossDirect, from prefix sums. */
export function clipLoss(counts: Float64Array, w: number, clip: ClipBins, levels: number, p: Prefix): number {
  const L = clip.left;
  const D = (clip.right - L + 1) / levels; // destination width in source bins
  if (D < 1) return clipLossDirect(counts, w, clip, levels);
  let loss = wholeBins(p, 0, L, L + D / 2) + wholeBins(p, clip.right + 1, counts.length, L + (levels - 0.5) * D);
  for (let j = 0; j < levels; j++) {
    const a = L + j * D;
    const b = a + D;
    const c = a + D / 2;
    const i1 = floor(b);
    const i0 = -floor(-a); // ceil
    loss += wholeBins(p, i0, i1, c);
    if (i0 > a) loss += counts[i0 - 1] * segment(a, i0, c); // a source bin cut at a
    if (b > i1) loss += counts[i1] * segment(i1, b, c); // and one cut at b
  }
  return loss * w * w;
}

/** ∫ over [u, v] of (t − c)², without cancellation. */
function segment(u: number, v: number, c: number): number {
  const x = u - c;
  const y = v - c;
  return ((v - u) * (x * x + x * y + y * y)) / 3;
}
