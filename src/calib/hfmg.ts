/**
 * HFMG (SPEC §7): a `numBins` histogram merged across batches; the clipping range that
 * minimises the L2 error of re-binning it into 2^numBits levels; then the min/max formula
 * of §7. Memory is the histogram only.
 *
 * Merging follows AMCT: the histogram spans [min, max] of the data so far; when a batch
 * widens it, the old bins are spread over the new, wider bins in proportion to overlap
 * (values assumed uniform inside a bin). AMCT floors the split counts; we keep fractions,
 * so no count is lost.
 */
import { CalibrationError } from '../errors';
import { f32, floor, processScale, roundHalfAwayFromZero } from '../quant/round';
import { checkNumBits, ScaleOffset, scanFinite } from './common';
import { argmin } from './ifmr-search';
import { clipLoss, prefixSums, searchCandidates } from './hfmg-search';

export const HFMG_BIN_CHOICES = [1024, 2048, 4096, 8192] as const;

export interface HfmgParams {
  /** num_of_bins: 1024, 2048, 4096 (default) or 8192. */
  numBins?: number;
  asymmetric: boolean;
  /** Default 8. */
  numBits?: number;
  /** Layer name, for error messages. */
  layer?: string;
}

/** An HfmgAccumulator between batches, as plain data (HfmgAccumulator.state). */
export interface HfmgAccumulatorState {
  counts: Float64Array;
  lo: number;
  hi: number;
  batches: number;
}

export class HfmgAccumulator {
  private readonly numBins: number;
  private counts: Float64Array;
  private lo = 0;
  private hi = 0;
  private batches = 0;

  /** `from`: an accumulator's `state()` with the same params, to go on from (its array is taken over). */
  constructor(
    private readonly params: HfmgParams,
    from?: HfmgAccumulatorState,
  ) {
    this.numBins = params.numBins ?? 4096;
    if (!(HFMG_BIN_CHOICES as readonly number[]).includes(this.numBins)) {
      throw new CalibrationError('INVALID_ARGUMENT', `num_of_bins = ${this.numBins} must be one of ${HFMG_BIN_CHOICES.join(', ')}`, {
        layer: params.layer,
        field: 'num_of_bins',
        hint: `set num_of_bins to one of ${HFMG_BIN_CHOICES.join(', ')} in the quantization config`,
      });
    }
    checkNumBits(params.numBits ?? 8, params.layer);
    this.counts = from?.counts ?? new Float64Array(this.numBins);
    if (from) {
      this.lo = from.lo;
      this.hi = from.hi;
      this.batches = from.batches;
    }
  }

  /** Everything added so far, as plain data (the array is shared: do not use this accumulator after). */
  state(): HfmgAccumulatorState {
    return { counts: this.counts, lo: this.lo, hi: this.hi, batches: this.batches };
  }

  get batchesSeen(): number {
    return this.batches;
  }

  memoryBytes(): number {
    return this.counts.byteLength;
  }

  add(batch: Float32Array): void {
    const { min, max } = scanFinite(batch, this.params.layer);
    if (this.batches === 0) {
      this.lo = min;
      this.hi = max;
    } else if (min < this.lo || max > this.hi) {
      this.rebin(Math.min(min, this.lo), Math.max(max, this.hi));
    }
    this.distribute(batch);
    this.batches++;
  }

  private distribute(batch: Float32Array): void {
    const nb = this.numBins;
    const w = (this.hi - this.lo) / nb;
    if (!(w > 0)) {
      // Constant data so far: AMCT counts it all in the middle bin.
      this.counts[nb >> 1] += batch.length;
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const j = floor((batch[i] - this.lo) / w);
      this.counts[j < nb ? j : nb - 1] += 1;
    }
  }

  /** Spreads each old bin over the new bins it overlaps, in proportion to the overlap. */
  private rebin(lo: number, hi: number): void {
    const nb = this.numBins;
    const oldW = (this.hi - this.lo) / nb;
    const w = (hi - lo) / nb;
    const out = new Float64Array(nb);
    const at = (x: number) => Math.min(nb - 1, Math.max(0, Math.floor((x - lo) / w)));
    for (let i = 0; i < nb; i++) {
      const n = this.counts[i];
      if (n === 0) continue;
      const a = oldW > 0 ? this.lo + i * oldW : this.lo; // constant data: a point at lo
      const b = a + oldW;
      const ja = at(a);
      const jb = oldW > 0 ? at(b) : ja;
      if (ja === jb) {
        out[ja] += n;
        continue;
      }
      for (let j = ja; j <= jb; j++) {
        const overlap = Math.min(b, lo + (j + 1) * w) - Math.max(a, lo + j * w);
        if (overlap > 0) out[j] += (n * overlap) / oldW;
      }
    }
    this.counts = out;
    this.lo = lo;
    this.hi = hi;
  }

  /**
   * Replaces the histogram with bins given as uniform intervals mean ± half (the DMQ
   * balancer's rescaled per-channel bins, see balanced-activation.ts) over [lo, hi].
   */
  loadBins(bins: { n: ArrayLike<number>; mean: ArrayLike<number>; half: ArrayLike<number> }, lo: number, hi: number): void {
    const nb = this.numBins;
    this.counts = new Float64Array(nb);
    this.lo = lo;
    this.hi = hi;
    this.batches = 1;
    const w = (hi - lo) / nb;
    const at = (x: number) => Math.min(nb - 1, Math.max(0, Math.floor((x - lo) / w)));
    for (let k = 0; k < bins.n.length; k++) {
      const n = bins.n[k];
      const a = bins.mean[k] - bins.half[k];
      const b = bins.mean[k] + bins.half[k];
      const ja = w > 0 ? at(a) : nb >> 1;
      const jb = w > 0 ? at(b) : ja;
      if (ja === jb) {
        this.counts[ja] += n;
        continue;
      }
      for (let j = ja; j <= jb; j++) {
        const overlap = Math.min(b, lo + (j + 1) * w) - Math.max(a, lo + j * w);
        if (overlap > 0) this.counts[j] += (n * overlap) / (b - a);
      }
    }
  }

  /** The chosen clipping range [clipMin, clipMax] before the ≥0≥ clamp. */
  clipRange(): { clipMin: number; clipMax: number } {
    this.requireData();
    const w = (this.hi - this.lo) / this.numBins;
    if (!(w > 0)) return { clipMin: this.lo, clipMax: this.lo };
    const levels = 2 ** (this.params.numBits ?? 8);
    const cands = searchCandidates(this.counts);
    const prefix = prefixSums(this.counts);
    const best = cands[argmin(cands.map((c) => clipLoss(this.counts, w, c, levels, prefix)))];
    return { clipMin: this.lo + best.left * w, clipMax: this.lo + (best.right + 1) * w };
  }

  result(): ScaleOffset {
    const { clipMin, clipMax } = this.clipRange();
    const bits = this.params.numBits ?? 8;
    if (this.params.asymmetric) {
      const max = Math.max(0, f32(clipMax));
      const min = Math.min(0, f32(clipMin));
      const scale = processScale(f32((max - min) / (2 ** bits - 1)));
      const offset = -roundHalfAwayFromZero(f32(min / scale)) - 2 ** (bits - 1);
      return { scale, offset: offset === 0 ? 0 : offset };
    }
    const c = Math.max(Math.abs(f32(clipMax)), Math.abs(f32(clipMin)));
    return { scale: processScale(f32(c / (2 ** (bits - 1) - 1))), offset: 0 };
  }

  private requireData(): void {
    if (this.batches > 0) return;
    throw new CalibrationError('CALIBRATION_INCOMPLETE', `No calibration data was collected for layer ${this.params.layer ?? '(unnamed)'}`, {
      layer: this.params.layer,
      hint: 'run the calibration graph on at least one batch before reading the result',
    });
  }
}
