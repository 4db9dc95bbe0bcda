/**
 * A fixed-size histogram that keeps, per bin, the count and the first two moments of its
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
  private count: Float64Array;
  private sum1: Float64Array;
  private sum2: Float64Array;
  private width = 0;
  private start = 0;
  private dataMin = Infinity;
  private dataMax = -Infinity;
  total = 0;

  constructor(readonly numBins: number) {
    this.count = new Float64Array(numBins);
    this.sum1 = new Float64Array(numBins);
    this.sum2 = new Float64Array(numBins);
  }

  get binWidth(): number {
    return this.width;
  }
  get min(): number {
    return this.dataMin;
  }
  get max(): number {
    return this.dataMax;
  }
  get bytes(): number {
    return 3 * 8 * this.numBins;
  }

  /** Makes room for [min, max], re-binning when needed; call before `add`. */
  ensureRange(min: number, max: number): void {
    const lo = Math.min(min, this.dataMin);
    const hi = Math.max(max, this.dataMax);
    this.dataMin = lo;
    this.dataMax = hi;
    if (this.width > 0 && this.inWindow(lo) && this.inWindow(hi)) return;
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
    const count = new Float64Array(n);
    const sum1 = new Float64Array(n);
    const sum2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = this.count[i];
      if (c === 0) continue;
      const left = (this.start + i) * this.width;
      const g = Math.floor(left / w);
      const j = g - start;
      const shift = left - g * w; // old edge minus new edge, ≥ 0
      const s1 = this.sum1[i];
      count[j] += c;
      sum1[j] += s1 + c * shift;
      sum2[j] += this.sum2[i] + 2 * shift * s1 + c * shift * shift;
    }
    this.count = count;
    this.sum1 = sum1;
    this.sum2 = sum2;
    this.width = w;
    this.start = start;
  }

  /** Adds a batch whose range was passed to `ensureRange`. */
  add(data: Float32Array): void {
    const inv = 1 / this.width; // exact: the width is a power of two
    const w = this.width;
    const start = this.start;
    const { count, sum1, sum2 } = this;
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      const g = floor(x * inv);
      const j = g - start;
      const d = x - g * w;
      count[j] += 1;
      sum1[j] += d;
      sum2[j] += d * d;
    }
    this.total += data.length;
  }

  /**
   * `add`, offering in the same pass each value to `top` and its negation to `bottom`
   * (streaming IFMR's exact tails), so a batch is read once instead of three times: on
   * MobileNet-size layers that read, not the arithmetic, is most of calibration's cost.
   * Same values in the same order as add + offerAll, so the result is identical.
   */
  addWithTails(data: Float32Array, top: TopK, bottom: TopK): void {
    const inv = 1 / this.width;
    const w = this.width;
    const start = this.start;
    const { count, sum1, sum2 } = this;
    let hi = top.limit;
    let lo = bottom.limit;
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (x > hi) hi = top.push(x);
      if (-x > lo) lo = bottom.push(-x);
      const g = floor(x * inv);
      const j = g - start;
      const d = x - g * w;
      count[j] += 1;
      sum1[j] += d;
      sum2[j] += d * d;
    }
    this.total += data.length;
  }

  /**
   * The non-empty bins as uniform intervals mean ± half (half = √3·σ, the interval with
   * the bin's mean and variance), packed for the loss loops that scan them per candidate.
   */
  snapshot(): BinModel {
    let m = 0;
    for (let i = 0; i < this.numBins; i++) if (this.count[i] > 0) m++;
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
    const n = this.count[i];
    if (n === 0) return undefined;
    const m = this.sum1[i] / n;
    const variance = Math.max(0, this.sum2[i] / n - m * m);
    return { n, mean: (this.start + i) * this.width + m, variance };
  }

  /**
   * Approximate r-th largest (fromTop) or r-th smallest value, for ranks beyond the exact
   * tail buffers. Inside the bin the values are taken as uniform over mean ± √3·σ, the
   * interval with the bin's mean and variance; the result is clamped to the data range.
   */
  quantile(r: number, fromTop: boolean): number {
    let seen = 0;
    for (let k = 0; k < this.numBins; k++) {
      const i = fromTop ? this.numBins - 1 - k : k;
      const b = this.bin(i);
      if (b === undefined) continue;
      if (seen + b.n >= r) {
        const half = Math.sqrt(3 * b.variance);
        const t = (r - seen - 0.5) / b.n; // fraction into the bin from the near end
        const v = fromTop ? b.mean + half - 2 * half * t : b.mean - half + 2 * half * t;
        return Math.min(this.dataMax, Math.max(this.dataMin, v));
      }
      seen += b.n;
    }
    return fromTop ? this.dataMin : this.dataMax;
  }
}
