/**
 * Activation statistics of a DMQ-balanced layer (SPEC §10), in the calibration pass that
 * IFMR/HFMG use, in memory that does not grow with the number of batches.
 *
 * The difficulty: the layer must be calibrated on y_c = x_c / s_c, but s_c depends on
 * max|x_c| over ALL batches, which is known only after the last one, and each batch is
 * seen once. So the statistics are kept per input channel, in a form that can be divided
 * by a per-channel constant afterwards without loss:
 * - max|x_c|: exact.
 * - the largest and smallest values of each channel (TopK tails): exact, and dividing by
 *   s_c > 0 keeps their order, so the union of the channels' tails divided by their s_c
 *   holds the exact extreme order statistics of y, as long as each channel kept at least
 *   the rank asked for (sized like the streaming IFMR's tails: see ifmr-stream.ts).
 * - a moment histogram per channel (count and mean per bin, MomentHistogram): a bin of
 *   x_c with count n, mean m and spread h is, divided by s_c, a bin of y with count n,
 *   mean m/s_c and spread h/s_c — exact algebra. The IFMR loss of each clip candidate is
 *   then computed by the same candidateLosses as the plain streaming IFMR on the union of
 *   the rescaled bins. The only approximation is the one streaming IFMR already makes
 *   (bins straddling a rounding boundary), with bins `binsPerChannel` per channel; the
 *   result is compared with exact two-pass IFMR on y in __tests__/calib/balance.test.ts.
 * HFMG: the rescaled bins are spread into HFMG's own histogram over [min y, max y].
 */
import { CalibrationError } from '../errors';
import { channelLayout } from '../quant/channels';
import { emptyDataError, IfmrParams, ScaleOffset, scanFinite } from './common';
import { HfmgAccumulator, HfmgParams } from './hfmg';
import { candidateLosses } from './hist-loss';
import { argmin, candidates, clampRange, finish, percentileRank } from './ifmr-search';
import { BinModel, MomentHistogram } from './moment-histogram';
import { TopK } from './tails';

export type BalancedAlgorithm = { algo: 'ifmr'; ifmr: IfmrParams } | { algo: 'hfmg'; hfmg: HfmgParams };

export interface BalancedActivationOptions {
  layer?: string;
  /** Batches the caller will feed (batch_num): sizes the tails. Default 1. */
  batchNum?: number;
  /** Histogram bins per channel; default 512 (8 KiB per channel). */
  binsPerChannel?: number;
  /** Upper bound of each channel's tail buffers (values); default 1024. */
  maxTailCapacity?: number;
  algorithm: BalancedAlgorithm;
}

interface Channel {
  hist: MomentHistogram;
  top: TopK;
  bottom: TopK;
}

const MIN_TAIL = 64;

export class BalancedActivationAccumulator {
  private channels: Channel[] = [];
  private absMax = new Float64Array(0);
  private batches = 0;
  private total = 0;

  constructor(private readonly options: BalancedActivationOptions) {}

  get batchesSeen(): number {
    return this.batches;
  }

  /** max|x_c| over every batch so far. */
  channelMax(): Float64Array {
    return this.absMax.slice();
  }

  /**
   * Adds one batch whose channel axis is `axis` of `shape` (the last axis for NHWC).
   * Bad data (empty, NaN, Inf, a channel count that changes) throws before anything is kept.
   */
  add(batch: Float32Array, shape: readonly number[], axis: number): void {
    const layer = this.options.layer;
    if (batch.length === 0) throw emptyDataError(layer);
    const { channels, inner } = channelLayout(shape, axis, `the input of layer ${layer ?? '(unnamed)'}`);
    scanFinite(batch, layer);
    if (this.channels.length === 0) this.init(channels, batch.length);
    if (channels !== this.channels.length) {
      throw new CalibrationError('CALIBRATION_DATA_INVALID', `the input of layer ${layer ?? '(unnamed)'} had ${this.channels.length} channels and now has ${channels}`, {
        layer,
        hint: 'feed batches of the same channel count to every calibration run',
      });
    }
    const per = batch.length / channels;
    // a channel-major copy of this batch only: not kept, so memory does not grow with layers × batch size
    const split = splitChannels(batch, channels, inner);
    for (let c = 0; c < channels; c++) this.addChannel(c, split.subarray(c * per, (c + 1) * per));
    this.total += batch.length;
    this.batches++;
  }

  private init(channels: number, firstBatchSize: number): void {
    const bins = this.options.binsPerChannel ?? 512;
    const algo = this.options.algorithm;
    const expected = Math.max(1, this.options.batchNum ?? 1) * firstBatchSize;
    const cap = this.options.maxTailCapacity ?? 1024;
    const size = (p: number) => Math.min(cap, Math.max(MIN_TAIL, 2 * percentileRank(p, expected) + MIN_TAIL));
    const topSize = algo.algo === 'ifmr' ? size(algo.ifmr.maxPercentile) : MIN_TAIL;
    const bottomSize = algo.algo === 'ifmr' ? size(algo.ifmr.minPercentile) : MIN_TAIL;
    this.absMax = new Float64Array(channels);
    for (let c = 0; c < channels; c++) this.channels.push({ hist: new MomentHistogram(bins), top: new TopK(topSize), bottom: new TopK(bottomSize) });
  }

  private addChannel(c: number, data: Float32Array): void {
    const ch = this.channels[c];
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (x < min) min = x;
      if (x > max) max = x;
    }
    const a = Math.max(-min, max);
    if (a > this.absMax[c]) this.absMax[c] = a;
    ch.hist.ensureRange(min, max);
    ch.hist.addWithTails(data, ch.top, ch.bottom, 0);
  }

  /** The union of the channels' bins divided by their factors. */
  private rescaledBins(s: ArrayLike<number>): BinModel {
    const parts = this.channels.map((ch) => ch.hist.snapshot());
    const size = parts.reduce((n, p) => n + p.n.length, 0);
    const out: BinModel = { n: new Float64Array(size), mean: new Float64Array(size), half: new Float64Array(size), total: this.total, width: Infinity };
    let k = 0;
    parts.forEach((p, c) => {
      const inv = 1 / s[c];
      out.width = Math.min(out.width, p.width * inv);
      for (let i = 0; i < p.n.length; i++, k++) {
        out.n[k] = p.n[i];
        out.mean[k] = p.mean[i] * inv;
        out.half[k] = p.half[i] * inv;
      }
    });
    return out;
  }

  /** The r-th largest of y (fromTop) or r-th smallest, from the merged tails. */
  private order(s: ArrayLike<number>, r: number, fromTop: boolean): number {
    const merged: number[] = [];
    this.channels.forEach((ch, c) => {
      for (const v of (fromTop ? ch.top : ch.bottom).known()) merged.push(v / s[c]);
    });
    merged.sort((a, b) => b - a);
    const v = merged[Math.min(r, merged.length) - 1];
    return fromTop ? v : -v;
  }

  private requireData(): void {
    if (this.batches > 0) return;
    throw new CalibrationError('CALIBRATION_INCOMPLETE', `No calibration data was collected for layer ${this.options.layer ?? '(unnamed)'}`, {
      layer: this.options.layer,
      hint: 'run the calibration graph on at least one batch before reading the result',
    });
  }

  /** scale_d / offset_d of the balanced input y_c = x_c / s_c. */
  result(s: ArrayLike<number>): ScaleOffset {
    this.requireData();
    if (s.length !== this.channels.length) {
      throw new CalibrationError('INVALID_ARGUMENT', `${s.length} balance factors for an input of ${this.channels.length} channels`, {
        layer: this.options.layer,
        hint: 'tensor_balance_factor holds one factor per input channel of the layer; calibrate this model again',
      });
    }
    const algo = this.options.algorithm;
    if (algo.algo === 'hfmg') return this.hfmgResult(s, algo.hfmg);
    const p = algo.ifmr;
    const n = this.total;
    const range = clampRange(this.order(s, percentileRank(p.maxPercentile, n), true), this.order(s, percentileRank(p.minPercentile, n), false));
    const cands = candidates(range, p);
    const model = this.rescaledBins(s);
    return finish(cands[argmin(candidateLosses(model, cands))], range, p);
  }

  private hfmgResult(s: ArrayLike<number>, params: HfmgParams): ScaleOffset {
    const model = this.rescaledBins(s);
    const lo = this.order(s, 1, false);
    const hi = this.order(s, 1, true);
    const acc = new HfmgAccumulator(params);
    acc.loadBins(model, lo, hi);
    return acc.result();
  }

  memoryBytes(): number {
    return this.channels.reduce((b, ch) => b + ch.hist.bytes + ch.top.bytes + ch.bottom.bytes, 0);
  }
}

/** Channel-major copy of a batch: channel c at [c·per, (c+1)·per), per = length / channels. */
function splitChannels(batch: Float32Array, channels: number, inner: number): Float32Array {
  const out = new Float32Array(batch.length);
  const per = batch.length / channels;
  if (inner === 1) {
    // channels last (NHWC, [N, in]): the hot case, one strided pass per channel
    for (let c = 0; c < channels; c++) {
      const base = c * per;
      for (let i = c, k = 0; i < batch.length; i += channels, k++) out[base + k] = batch[i];
    }
    return out;
  }
  const fill = new Int32Array(channels);
  for (let from = 0, c = 0; from < batch.length; from += inner, c = (c + 1) % channels) {
    out.set(batch.subarray(from, from + inner), c * per + fill[c]);
    fill[c] += inner;
  }
  return out;
}
