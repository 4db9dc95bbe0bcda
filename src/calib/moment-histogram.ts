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
import type { BinArena, BinSlot } from './bin-arena';
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

/** A MomentHistogram as plain data (MomentHistogram.state). */
export interface MomentHistogramState {
  numBins: number;
  bins: Float64Array;
  width: number;
  start: number;
  total: number;
}

/**
 * Copies the bins from the first to the last non-zero one into `to` (zeroed): the rest
 * stays untouched, so its pages are never made resident (a layer's values often fill a
 * part of the window only).
 */
function copyUsed(from: Float64Array, to: Float64Array): void {
  let first = 0;
  let last = from.length / 2 - 1;
  // A sum can be non-zero in an empty bin: what a rejected batch's removal left to rounding.
  while (first <= last && from[2 * first] === 0 && from[2 * first + 1] === 0) first++;
  while (last >= first && from[2 * last] === 0 && from[2 * last + 1] === 0) last--;
  if (first <= last) to.set(from.subarray(2 * first, 2 * last + 2), 2 * first);
}

export class MomentHistogram {
  /** Interleaved per bin: [2i] count, [2i + 1] sum of (value − left edge); one cache line per bin. */
  private plain?: Float64Array;
  /** The same bins in a WebAssembly arena, when binning runs there (bin-arena.ts). */
  private slot?: BinSlot;
  private width = 0;
  private start = 0;
  total = 0;

  /**
   * `from`: a histogram's `state()`, to go on from (its array is taken over, or copied into
   * the arena). `arena`: bin on WebAssembly there (same results, faster), else in JavaScript.
   */
  constructor(
    readonly numBins: number,
    from?: MomentHistogramState,
    arena?: BinArena,
  ) {
    this.slot = arena?.alloc(2 * numBins, this);
    if (this.slot && from) copyUsed(from.bins, this.slot.view());
    if (!this.slot) this.plain = from?.bins ?? new Float64Array(2 * numBins);
    if (from) {
      this.width = from.width;
      this.start = from.start;
      this.total = from.total;
    }
  }

  /** The bins; an arena's view is stale after the arena grows, so methods fetch it once they are done allocating. */
  private get bins(): Float64Array {
    return this.slot ? this.slot.view() : this.plain!;
  }

  /**
   * Its contents, for another thread to go on with. The bins array is shared, not copied:
   * bins in the arena are copied out to a plain array first, and their slot is freed at
   * once (a layer moved back and forth between threads would otherwise take a fresh slot,
   * and fresh pages, per move until the garbage collector returns the old ones).
   */
  state(): MomentHistogramState {
    if (this.slot) {
      this.plain = new Float64Array(2 * this.numBins);
      copyUsed(this.slot.view(), this.plain);
      this.slot.arena.release(this.slot);
      this.slot = undefined;
    }
    return { numBins: this.numBins, bins: this.plain!, width: this.width, start: this.start, total: this.total };
  }

  /** Whether the bins are in a WebAssembly arena (binned there) rather than a plain array. */
  get inArena(): boolean {
    return this.slot !== undefined;
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
      const bins = this.bins;
      while (first <= last && bins[2 * first] === 0) first++;
      while (last >= first && bins[2 * last] === 0) last--;
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
    const moved = this.slot?.arena.moveTo(this.slot);
    const old = moved?.old ?? this.bins;
    const bins = moved?.fresh ?? (this.plain = new Float64Array(2 * n));
    if (this.slot && !moved) {
      // The arena is full: the histogram goes on in a plain array.
      this.slot.arena.release(this.slot);
      this.slot = undefined;
    }
    for (let i = 0; i < n; i++) {
      const c = old[2 * i];
      if (c === 0) continue;
      const left = (this.start + i) * this.width;
      const g = Math.floor(left / w);
      const j = g - start;
      const shift = left - g * w; // old edge minus new edge, ≥ 0
      bins[2 * j] += c;
      bins[2 * j + 1] += old[2 * i + 1] + c * shift;
    }
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
   * outside the bin window, NaN or ±Inf included, and returns its index (data.length when
   * every value was added); the caller re-ranges or rejects it.
   */
  addWithTails(data: Float32Array, top: TopK, bottom: TopK, from: number): number {
    const slot = this.slot;
    const staged = slot?.arena.stage(data, from); // before any view is fetched: staging may grow the arena
    let i = from;
    for (;;) {
      if (staged !== undefined) i = slot!.arena.bin(staged, data.length, i, slot!, this.width, this.start, this.numBins, top.limit, -bottom.limit);
      else i = this.addUntilTail(data, i, top.limit, -bottom.limit);
      if (i === data.length) break;
      // A tail candidate, or a value the window does not hold (NaN and ±Inf among them).
      const x = data[i];
      const r = x / this.width - this.start; // as in addUntilTail: x·(1/w) = x/w exactly
      if (!(r >= 0 && r < this.numBins)) break;
      if (x > top.limit) top.push(x);
      if (x < -bottom.limit) bottom.push(-x);
      this.addOne(x, r | 0);
      i++;
    }
    this.total += i - from;
    return i;
  }

  /**
   * Bins data[from, …) up to the first value above `hi`, below `lo`, outside the window or
   * not finite, and returns its index (bin-kernel-module.ts is the same loop on
   * WebAssembly). Nothing but the binning is left in the loop: a conditional update of a
   * loop variable (the tails' limits) made V8 box it and cost 4–5 ns per value, and
   * branches on the value (zeros, runs of one bin) mispredict on real activations. Exact
   * zeros are binned like any value (d = 0).
   */
  private addUntilTail(data: Float32Array, from: number, hi: number, lo: number): number {
    const bins = this.bins;
    const n = this.numBins;
    const w = this.width;
    const inv = 1 / w; // exact: the width is a power of two
    const start = this.start;
    const base = start * w; // (j + start)·w = j·w + base exactly: both are multiples of w
    const len = data.length;
    let i = from;
    for (; i < len; i++) {
      const x = data[i];
      if (!(x <= hi && x >= lo)) break;
      const r = x * inv - start;
      if (!(r >= 0 && r < n)) break;
      const j = r | 0; // floor: r ≥ 0
      bins[2 * j] += 1;
      bins[2 * j + 1] += x - (j * w + base);
    }
    return i;
  }

  /** Bins one value inside the window into bin j (the slow path of addWithTails). */
  private addOne(x: number, j: number): void {
    const bins = this.bins;
    bins[2 * j] += 1;
    bins[2 * j + 1] += x - (j + this.start) * this.width;
  }

  /** Removes data[0, end) again (a batch rejected part-way); counts exactly, sums to rounding. */
  remove(data: Float32Array, end: number): void {
    const bins = this.bins;
    const w = this.width;
    const inv = 1 / w;
    for (let i = 0; i < end; i++) {
      const x = data[i];
      const g = floor(x * inv);
      const j = g - this.start;
      const d = x - g * w;
      bins[2 * j] -= 1;
      bins[2 * j + 1] -= d;
    }
    this.total -= end;
  }

  /**
   * The non-empty bins as uniform intervals mean ± half (half = √3·σ, the interval with
   * the bin's mean and variance), packed for the loss loops that scan them per candidate.
   */
  snapshot(): BinModel {
    let m = 0;
    const bins = this.bins;
    for (let i = 0; i < this.numBins; i++) if (bins[2 * i] > 0) m++;
    const model: BinModel = { n: new Float64Array(m), mean: new Float64Array(m), half: new Float64Array(m), total: this.total, width: this.width };
    for (let i = 0, k = 0; i < this.numBins; i++) {
      const b = this.binOf(bins, i);
      if (b === undefined) continue;
      model.n[k] = b.n;
      model.mean[k] = b.mean;
      model.half[k++] = Math.sqrt(3 * b.variance);
    }
    return model;
  }

  /** Bin i as count, mean and variance, or undefined when empty. */
  bin(i: number): Bin | undefined {
    return this.binOf(this.bins, i);
  }

  /** bin(i) from the bins fetched once by a loop over them (an arena's view costs a check per fetch). */
  private binOf(bins: Float64Array, i: number): Bin | undefined {
    const n = bins[2 * i];
    if (n === 0) return undefined;
    const m = bins[2 * i + 1] / n;
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
    const bins = this.bins;
    for (let k = 0; k < this.numBins; k++) {
      const i = fromTop ? this.numBins - 1 - k : k;
      const b = this.binOf(bins, i);
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
