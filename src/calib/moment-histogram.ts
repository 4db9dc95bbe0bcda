/**
 * A fixed-size histogram that keeps, per bin, the count and the sum of its
 * values (relative to the bin's left edge, so they stay accurate far from 0).
 *
 * Bins are anchored at 0 with a power-of-two width w: bin g covers [g·w, (g+1)·w), and
 * a window of `numBins` consecutive bins starting at `start` is stored. x/w is then exact,
 * and when the data range outgrows the window the width doubles (possibly several times
 * at once): every old bin falls entirely inside one new bin, so counts and moments merge
 * exactly (a moment shift is exact algebra, not an approximation). Memory never grows.
 */

import { floor } from '../quant/round';
import type { TopK } from './tails';

export interface Bin {
  /** Number of values. */
  n: number;
  /** Their mean. */
  mean: number;
  /** Their variance (population). */
  variance: number;
}

export interface BinModel {
  n: Float64Array;
  mean: Float64Array;
  half: Float64Array;
  total: number;
  width: number;
}

export class MomentHistogram {
  /** Interleaved per bin: [2i] count, [2i + 1] sum of (value − left edge); one cache line per bin. */
  private bins: Float64Array;
  private width = 0;
  private start = 0;
  total = 0;

  constructor(readonly numBins: number) {
    this.bins = new Float64Array(2 * numBins);
  }

  get binWidth(): number {
    return this.width;
  }
  get bytes(): number {
    return 2 * 8 * this.numBins;
  }

  /** Makes room for [min, max] and every value added so far, re-binning when needed. */
  ensureRange(min: number, max: number): void {
    let lo = min;
    let hi = max;
    if (this.width > 0) {
      let first = 0;
      let last = this.numBins - 1;
      while (first <= last && this.bins[2 * first] === 0) first++;
      while (last >= first && this.bins[2 * last] === 0) last--;
      if (first <= last) {
        lo = Math.min(lo, (this.start + first) * this.width);
        hi = Math.max(hi, (this.start + last) * this.width);
      }
      if (this.inWindow(lo) && this.inWindow(hi)) return;
    }
    const w = Math.max(this.width, this.widthFor(lo, hi));
    // Centre the data in the window so later batches can stretch either way first.
    const gLo = Math.floor(lo / w);
    const used = Math.floor(hi / w) - gLo + 1;
    const start = gLo - Math.floor((this.numBins - used) / 2);
    if (this.width === 0) {
      this.width = w;
      this.start = start;
    } else {
      this.rebin(w, start);
    }
  }

  private inWindow(x: number): boolean {
    const j = Math.floor(x / this.width) - this.start;
    return j >= 0 && j < this.numBins;
  }

  /** Smallest power of two that fits [lo, hi] in the window. The floor on the span keeps
   * bin indices below 2^30·numBins, i.e. exact, even for constant data. */
  private widthFor(lo: number, hi: number): number {
    const span = Math.max(hi - lo, Math.max(Math.abs(lo), Math.abs(hi)) * 2 ** -30, 1e-30);
    let w = 2 ** Math.ceil(Math.log2(span / (this.numBins - 1)));
    while (Math.floor(hi / w) - Math.floor(lo / w) >= this.numBins) w *= 2;
    return w;
  }

  private rebin(w: number, start: number): void {
    const n = this.numBins;
    const bins = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const c = this.bins[2 * i];
      if (c === 0) continue;
      const left = (this.start + i) * this.width;
      const g = Math.floor(left / w);
      const j = g - start;
      const shift = left - g * w; // old edge minus new edge, ≥ 0
      bins[2 * j] += c;
      bins[2 * j + 1] += this.bins[2 * i + 1] + c * shift;
    }
    this.bins = bins;
    this.width = w;
    this.start = start;
  }

  /** Adds a batch whose range was passed to `ensureRange`. */
  add(data: Float32Array): void {
    const noTails = { limit: Infinity } as TopK;
    this.addWithTails(data, noTails, noTails, 0);
  }

  /**
   * The hot loop of streaming IFMR: from index `from`, bins each value and offers it to
   * `top` and its negation to `bottom`, in one read of the batch. Stops at the first value
   * outside the bin window, NaN or ±Inf included (`r >= 0 && r < n` is false for all of
   * them), and returns its index (data.length when every value was added); the caller
   * re-ranges or rejects it. Free of calls and Math.* except the rare tail pushes.
   */
  addWithTails(data: Float32Array, top: TopK, bottom: TopK, from: number): number {
    const bins = this.bins;
    const n = this.numBins;
    const w = this.width;
    const inv = 1 / w; // exact: the width is a power of two
    const start = this.start;
    const len = data.length;
    let hi = top.limit;
    let lo = -bottom.limit; // values below it are bottom candidates
    // Exact zeros (~40% of a ReLU network's activations) and runs of values in one bin
    // (pj, pc, ps) are summed in registers: as read-modify-writes of one bin they form a
    // chain through memory that stalls the loop (9.3 instead of 12.3 ns per value).
    let zeros = 0;
    let pj = 0;
    let pc = 0;
    let ps = 0;
    let i = from;
    for (; i < len; i++) {
      const x = data[i];
      const r = x * inv - start;
      if (!(r >= 0 && r < n)) break;
      if (x > hi) hi = top.push(x);
      if (x < lo) lo = -bottom.push(-x);
      if (x === 0) {
        zeros++;
        continue;
      }
      const j = r | 0; // floor: r ≥ 0
      const d = x - (j + start) * w;
      if (j === pj) {
        pc++;
        ps += d;
      } else {
        bins[2 * pj] += pc;
        bins[2 * pj + 1] += ps;
        pj = j;
        pc = 1;
        ps = d;
      }
    }
    bins[2 * pj] += pc;
    bins[2 * pj + 1] += ps;
    if (zeros > 0) bins[2 * -start] += zeros; // 0 is the left edge of bin −start: d = 0
    this.total += i - from;
    return i;
  }

  /** Removes data[0, end) again (a batch rejected part-way); counts exactly, sums to rounding. */
  remove(data: Float32Array, end: number): void {
    const w = this.width;
    const inv = 1 / w;
    for (let i = 0; i < end; i++) {
      const x = data[i];
      const g = floor(x * inv);
      const j = g - this.start;
      const d = x - g * w;
      this.bins[2 * j] -= 1;
      this.bins[2 * j + 1] -= d;
    }
    this.total -= end;
  }

  /**
   * The non-empty bins as uniform intervals mean ± half (half = √3·σ, the interval with
   * the bin's mean and variance), packed for the loss loops that scan them per candidate.
   */
  snapshot(): BinModel {
    let m = 0;
    for (let i = 0; i < this.numBins; i++) if (this.bins[2 * i] > 0) m++;
    const model: BinModel = { n: new Float64Array(m), mean: new Float64Array(m), half: new Float64Array(m), total: this.total, width: this.width };
    for (let i = 0, k = 0; i < this.numBins; i++) {
      const b = this.bin(i);
      if (b === undefined) continue;
      model.n[k] = b.n;
      model.mean[k] = b.mean;
      model.half[k++] = Math.sqrt(3 * b.variance);
    }
    return model;
  }

  /** Bin i as count, mean and variance, or undefined when empty. */
  bin(i: number): Bin | undefined {
    const n = this.bins[2 * i];
    if (n === 0) return undefined;
    const m = this.bins[2 * i + 1] / n;
    // Within-bin spread: uniform, as wide as the bin allows around the exact mean.
    const half = Math.max(0, Math.min(this.width / 2, m, this.width - m));
    const variance = (half * half) / 3;
    return { n, mean: (this.start + i) * this.width + m, variance };
  }

  /**
   * Approximate r-th largest (fromTop) or r-th smallest value, for ranks beyond the exact
   * tail buffers. Inside the bin the values are taken as uniform over mean ± √3·σ, the
   * interval with the bin's mean and variance; the result is clamped to [min, max].
   */
  quantile(r: number, fromTop: boolean, min: number, max: number): number {
    let seen = 0;
    for (let k = 0; k < this.numBins; k++) {
      const i = fromTop ? this.numBins - 1 - k : k;
      const b = this.bin(i);
      if (b === undefined) continue;
      if (seen + b.n >= r) {
        const half = Math.sqrt(3 * b.variance);
        const t = (r - seen - 0.5) / b.n; // fraction into the bin from the near end
        const v = fromTop ? b.mean + half - 2 * half * t : b.mean - half + 2 * half * t;
        return Math.min(max, Math.max(min, v));
      }
      seen += b.n;
    }
    return fromTop ? min : max;
  }
}
