/**
 * Streaming IFMR: calibrates a layer batch by batch in memory that does not grow with the
 * number or size of batches (AMCT keeps every activation of every batch; a model with
 * many large layers would not fit in Node's memory that way).
 *
 * How it approximates exact IFMR (see docs/calibration.md for the measurements):
 * - max / min order statistics: EXACT while their rank (≈ (1 − p)·N + 1) is within the
 *   tail buffers, sized at the first batch from batchNum × first batch size (×2, capped at
 *   `maxTailCapacity`). Beyond that they come from the histogram, within one bin.
 * - candidates and the final scale/offset formula: identical code to the exact version,
 *   so with exact tails the result is always one of exact IFMR's candidates, bit for bit.
 * - each candidate's MSE: from a `numBins` histogram with per-bin count and mean
 *   (spread modelled uniform within the bin, see moment-histogram.ts). The model is exact for bins inside one quantization
 *   cell; a bin straddling a rounding boundary contributes an error of at most
 *   2·√3·s·w·n_bin / N (s grid step, w bin width ≤ range/(numBins/2)), about 12·(w/s)²
 *   relative to the loss — under 0.1% with 16384 bins, and far less in practice.
 * The only way the result differs is when two candidates' exact losses are closer than
 * that error: then a neighbouring candidate can win, i.e. scale_d moves by one search
 * step (0.01/k relative). Measured over ReLU, ReLU6, Gaussian, Laplace and mixtures with
 * p = 0.999999 and 0.999, scale_d stayed within 1% of exact IFMR (__tests__/calib).
 */
import { CalibrationError } from '../errors';
import { checkIfmrParams, emptyDataError, IfmrParams, ScaleOffset, scanFinite } from './common';
import { candidateLosses } from './hist-loss';
import { argmin, candidates, clampRange, finish, percentileRank } from './ifmr-search';
import type { Candidate, Range } from './ifmr-search';
import { binArena } from './bin-arena';
import { MomentHistogram } from './moment-histogram';
import type { BinModel, MomentHistogramState } from './moment-histogram';
import { TopK } from './tails';
import type { TopKState } from './tails';

export interface IfmrAccumulatorOptions extends IfmrParams {
  /** Batches the caller will feed (config batch_num); sizes the exact tail buffers. Default 1. */
  batchNum?: number;
  /** Histogram bins for the loss; default 16384. */
  numBins?: number;
  /** Upper bound on each tail buffer's capacity (values); default 65536. */
  maxTailCapacity?: number;
}

/** The last step of streaming IFMR as plain data (IfmrAccumulator.searchInput). */
export interface IfmrSearchInput {
  model: BinModel;
  candidates: Candidate[];
  range: Range;
  params: IfmrParams;
}

/** An IfmrAccumulator between batches, as plain data (IfmrAccumulator.state). */
export interface IfmrAccumulatorState {
  hist: MomentHistogramState;
  /** Absent before the first batch. */
  tails?: { top: TopKState; bottom: TopKState };
  batches: number;
}

/** The candidate with the least loss over the bins, as scale_d / offset_d. */
export function searchResult(input: IfmrSearchInput): ScaleOffset {
  return finish(input.candidates[argmin(candidateLosses(input.model, input.candidates))], input.range, input.params);
}

const DEFAULT_BINS = 16384;
const DEFAULT_TAIL_CAP = 65536;
const MIN_TAIL = 64;

export class IfmrAccumulator {
  private readonly params: IfmrAccumulatorOptions;
  private readonly hist: MomentHistogram;
  private top?: TopK;
  private bottom?: TopK;
  private batches = 0;

  /** `from`: an accumulator's `state()` with the same options, to go on from (its arrays are taken over). */
  constructor(options: IfmrAccumulatorOptions, from?: IfmrAccumulatorState) {
    checkIfmrParams(options);
    const bins = options.numBins ?? DEFAULT_BINS;
    if (!Number.isInteger(bins) || bins < 256) {
      throw new CalibrationError('INVALID_ARGUMENT', `numBins = ${bins} must be an integer ≥ 256`, { layer: options.layer, hint: 'pass numBins of 256 or more (the default is fine for most layers)' });
    }
    this.params = { ...options };
    this.hist = new MomentHistogram(bins, from?.hist, binArena());
    if (from?.tails) {
      this.top = new TopK(from.tails.top.capacity, from.tails.top);
      this.bottom = new TopK(from.tails.bottom.capacity, from.tails.bottom);
    }
    this.batches = from?.batches ?? 0;
  }

  /**
   * Everything added so far, as plain data: the statistics thread goes on from it
   * (runtime/statistics). The arrays are shared, so this accumulator must not be used after.
   */
  state(): IfmrAccumulatorState {
    const tails = this.top && this.bottom ? { top: this.top.state(), bottom: this.bottom.state() } : undefined;
    return { hist: this.hist.state(), tails, batches: this.batches };
  }

  get batchesSeen(): number {
    return this.batches;
  }

  /** Values seen so far. */
  get count(): number {
    return this.hist.total;
  }

  /**
   * Adds one batch; throws CALIBRATION_DATA_INVALID on empty, NaN or Inf data, leaving
   * the accumulator as it was. One fused pass per batch (bin + tails + finiteness); only
   * the first batch, or a value outside the bin window, costs a min/max scan.
   */
  add(batch: Float32Array): void {
    const layer = this.params.layer;
    if (batch.length === 0) throw emptyDataError(layer);
    if (this.top === undefined) {
      const { min, max } = scanFinite(batch, layer);
      this.sizeTails(batch.length);
      this.hist.ensureRange(min, max);
    }
    const top = this.top!;
    const bottom = this.bottom!;
    top.mark();
    bottom.mark();
    let i = this.hist.addWithTails(batch, top, bottom, 0);
    if (i < batch.length) {
      let range;
      try {
        range = scanFinite(batch.subarray(i), layer);
      } catch (e) {
        this.hist.remove(batch, i);
        top.rollback();
        bottom.rollback();
        throw e;
      }
      this.hist.ensureRange(range.min, range.max);
      i = this.hist.addWithTails(batch, top, bottom, i);
    }
    this.batches++;
  }

  /** Tail capacity from the rank the percentiles will ask for, with 2× headroom. */
  private sizeTails(firstBatchSize: number): void {
    const expected = Math.max(1, this.params.batchNum ?? 1) * firstBatchSize;
    const cap = this.params.maxTailCapacity ?? DEFAULT_TAIL_CAP;
    const size = (p: number) => Math.min(cap, Math.max(MIN_TAIL, 2 * percentileRank(p, expected) + MIN_TAIL));
    this.top = new TopK(size(this.params.maxPercentile));
    this.bottom = new TopK(size(this.params.minPercentile));
  }

  /** True when max/min came (or would come) from the exact tail buffers. */
  tailsExact(): boolean {
    const n = this.hist.total;
    if (this.top === undefined) return false;
    return (
      this.top.rankFromTop(percentileRank(this.params.maxPercentile, n)) !== undefined &&
      this.bottom!.rankFromTop(percentileRank(this.params.minPercentile, n)) !== undefined
    );
  }

  /** scale_d / offset_d over everything added so far. */
  result(): ScaleOffset {
    return searchResult(this.searchInput());
  }

  /**
   * What `result()` searches: the histogram as bins and the clipping candidates. Plain
   * data, so another thread can finish the search (searchResult) with the same result.
   */
  searchInput(): IfmrSearchInput {
    const n = this.hist.total;
    if (n === 0 || this.top === undefined) {
      throw new CalibrationError('CALIBRATION_INCOMPLETE', `No calibration data was collected for layer ${this.params.layer ?? '(unnamed)'}`, {
        layer: this.params.layer,
        hint: 'run the calibration graph on at least one batch before reading the result',
      });
    }
    const rMax = percentileRank(this.params.maxPercentile, n);
    const rMin = percentileRank(this.params.minPercentile, n);
    const dataMax = this.top.rankFromTop(1)!;
    const dataMin = -this.bottom!.rankFromTop(1)!;
    const maxV = this.top.rankFromTop(rMax) ?? this.hist.quantile(rMax, true, dataMin, dataMax);
    const negMin = this.bottom!.rankFromTop(rMin);
    const minV = negMin !== undefined ? -negMin : this.hist.quantile(rMin, false, dataMin, dataMax);
    const range = clampRange(maxV, minV);
    return { model: this.hist.snapshot(), candidates: candidates(range, this.params), range, params: this.params };
  }

  /** Bytes held by this accumulator's buffers (constant after the first batch). */
  memoryBytes(): number {
    return this.hist.bytes + (this.top?.bytes ?? 0) + (this.bottom?.bytes ?? 0);
  }
}
