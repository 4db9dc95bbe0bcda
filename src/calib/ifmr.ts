/**
 * Exact IFMR (SPEC §7) over every value of every batch: the reference the streaming
 * accumulator is measured against, and the right choice when all data fits in memory.
 * Order statistics come from quickselect on one copy of the data; each candidate's MSE is
 * a full pass. Quantized values are computed in float32 like AMCT's kernel; the squared
 * errors are summed in float64 (AMCT sums in float32, which only adds noise).
 */
import { roundHalfAwayFromZero } from '../quant/round';
import { checkIfmrParams, emptyDataError, IfmrParams, ScaleOffset, scanFinite } from './common';
import { argmin, candidates, clampRange, finish, percentileRank, Range } from './ifmr-search';
import { selectKth } from './select';

function asBatches(data: Float32Array | readonly Float32Array[]): readonly Float32Array[] {
  return data instanceof Float32Array ? [data] : data;
}

/** One contiguous copy of all batches (selection reorders it, the input stays intact). */
function concat(batches: readonly Float32Array[], layer?: string): Float32Array {
  let n = 0;
  for (const b of batches) {
    scanFinite(b, layer); // an empty batch is an error too, as in AMCT
    n += b.length;
  }
  if (n === 0) throw emptyDataError(layer);
  const all = new Float32Array(n);
  let at = 0;
  for (const b of batches) {
    all.set(b, at);
    at += b.length;
  }
  return all;
}

/** The IFMR max and min order statistics of `all` (reordered in place). */
export function ifmrRange(all: Float32Array, params: IfmrParams): Range {
  const n = all.length;
  const maxV = selectKth(all, n - percentileRank(params.maxPercentile, n));
  const minV = selectKth(all, percentileRank(params.minPercentile, n) - 1);
  return clampRange(maxV, minV);
}

const F32 = new Float32Array(1);

/**
 * Mean of (round(clamp(x, lo, c)/s)·s − x)² over all batches. This loop is the whole cost
 * of exact IFMR (candidates × values), so float32 rounding (a Float32Array store) and
 * round-half-away-from-zero are inlined; |x/s| ≤ 2^31 is guaranteed by the clamp unless s
 * is tiny, and then the generic helper takes over.
 */
export function exactLoss(batches: readonly Float32Array[], lo: number, c: number, s: number): number {
  const r = F32;
  const fast = Math.abs(lo / s) < 2 ** 30 && Math.abs(c / s) < 2 ** 30;
  let sum = 0;
  let n = 0;
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      const x = b[i];
      r[0] = (x < lo ? lo : x > c ? c : x) / s;
      const v = r[0];
      let t: number;
      if (fast) {
        t = v | 0;
        const frac = v - t;
        if (frac >= 0.5) t++;
        else if (frac <= -0.5) t--;
      } else {
        t = roundHalfAwayFromZero(v);
      }
      r[0] = t * s;
      const d = r[0] - x;
      sum += d * d;
    }
    n += b.length;
  }
  return sum / n;
}

/**
 * Exact IFMR over one array or several batches. Throws CALIBRATION_DATA_INVALID (naming
 * `params.layer`) on NaN/Inf or when there is no data at all.
 */
export function ifmr(data: Float32Array | readonly Float32Array[], params: IfmrParams): ScaleOffset {
  checkIfmrParams(params);
  const batches = asBatches(data);
  const range = ifmrRange(concat(batches, params.layer), params);
  const cands = candidates(range, params);
  const losses = cands.map((c) => exactLoss(batches, c.lo, c.clip, c.scale));
  return finish(cands[argmin(losses)], range, params);
}
