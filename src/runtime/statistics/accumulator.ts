/**
 * A calibration layer's IFMR/HFMG statistics, kept on the statistics thread when the
 * layer's batches are large (SPEC §7 results unchanged: the same accumulator code runs
 * there, on the same batches in the same order).
 *
 * Why: the streaming accumulators' one JavaScript pass costs ~3.5 ns per activation value,
 * about 0.7× an nsfwjs float run by itself. Here the kernel only copies the values
 * (~0.3 ns each, into a buffer the thread hands back) and returns, so the main thread goes
 * on running the model while the other core bins them, and the last batch's scale/offset
 * search runs there too. Small layers stay on the main thread: a message costs more than
 * binning a few thousand values.
 *
 * A rejected batch (NaN, Inf, empty) is reported by `settle()`, which the calibration
 * kernels' afterRun hook awaits, so it still fails the session.run that fed it, and the
 * accumulator is as it was before that batch, as on the main thread.
 */
import { searchResult } from '../../calib';
import type { HfmgAccumulator, IfmrAccumulator, ScaleOffset } from '../../calib';
import { AmctError, CalibrationError } from '../../errors';
import { mainBinning, statisticsThreadFor } from './placement';
import type { StatisticsThread } from './pool';
import { buildAccumulator, reviveError } from './protocol';
import type { AccumulatorSpec, AddReply } from './protocol';

/** Batches smaller than this (values) are binned on the main thread. */
export const MIN_THREAD_VALUES = 4096;

export class LayerStatistics {
  /** The accumulator while it lives on this thread (always before the first batch). */
  private local?: IfmrAccumulator | HfmgAccumulator;
  /** The statistics thread and the id there, once the accumulator moved. */
  private thread?: StatisticsThread;
  private remote?: number;
  /** Batches accepted (sent and not rejected). */
  private accepted = 0;
  private outstanding = 0;
  private drained: (() => void)[] = [];
  private rejected?: AmctError;
  private final?: { result?: ScaleOffset; error?: AmctError };
  /** A buffer the thread handed back, reused for the next batch of the same size. */
  private spare?: Float32Array;
  private bytes = 0;
  /** Values in the latest batch (placement.ts weighs moves by it). */
  batchValues = 0;

  /** `threaded`: whether large batches may go to the statistics thread (the Session's option). */
  constructor(
    private readonly spec: AccumulatorSpec,
    private readonly batchNum: number,
    private readonly threaded: boolean,
  ) {
    this.local = buildAccumulator(spec); // checks the settings now, where the caller can see the error
  }

  get batchesSeen(): number {
    return this.local ? this.local.batchesSeen : this.accepted;
  }

  /** Whether the statistics live on the statistics thread. */
  get onThread(): boolean {
    return this.remote !== undefined;
  }

  /**
   * Adds a batch; on the thread, the values are copied first, so `data` may be a view that
   * changes after. A layer on the main thread moves to a statistics thread, with what it
   * has seen so far, at the first batch that thread has room for (placement.ts).
   */
  add(data: Float32Array): void {
    this.batchValues = data.length;
    const large = this.threaded && data.length >= MIN_THREAD_VALUES;
    if (this.local && large) this.moveToThread(data.length);
    if (this.local) {
      if (large) this.addTimed(this.local, data);
      else this.local.add(data);
      return;
    }
    const copy = this.spare?.length === data.length ? this.spare : new Float32Array(data.length);
    this.spare = undefined;
    copy.set(data);
    this.accepted++;
    this.outstanding++;
    this.thread!.add(this.remote!, copy);
  }

  /** Adds a batch a thread could have taken, timed: planMoves weighs the main thread's binning against the threads' work. */
  private addTimed(local: IfmrAccumulator | HfmgAccumulator, data: Float32Array): void {
    const started = performance.now();
    try {
      local.add(data);
    } finally {
      mainBinning.ms += performance.now() - started;
      mainBinning.values += data.length;
    }
  }

  /**
   * Hands the local accumulator to a thread that has room for a batch of `values`
   * (placement.ts). The first run places layers while the thread also pays its one-off
   * costs (fresh histograms' pages: ~15 µs per 4 KiB on some VMs), so it looks busier than
   * it is; later batches even the load out, in both directions (moveToMain).
   */
  private moveToThread(values: number): void {
    const local = this.local!;
    const seen = local.batchesSeen;
    const thread = statisticsThreadFor(values, seen === 0 ? 'first' : seen === this.batchNum - 1 ? 'last' : 'later');
    if (!thread) return;
    this.bytes = local.memoryBytes();
    this.thread = thread;
    this.remote = thread.create(this.spec, this.batchNum, (reply) => this.onReply(reply), seen > 0 ? local.state() : undefined);
    this.accepted = seen;
    this.local = undefined;
  }

  /**
   * Takes the statistics back from the thread, between batches (after settle()). Only
   * while at least two batches remain: the last goes to a thread anyway. False when the
   * layer stays where it is.
   */
  async moveToMain(): Promise<boolean> {
    const thread = this.thread;
    if (!thread || this.remote === undefined || this.outstanding > 0 || this.final || this.accepted >= this.batchNum - 1) return false;
    const state = await thread.exportState(this.remote);
    if (!state) return false;
    this.local = buildAccumulator(this.spec, state);
    this.thread = undefined;
    this.remote = undefined;
    this.spare = undefined;
    return true;
  }

  /** The statistics thread holding this layer, if any (placement.ts). */
  get holder(): StatisticsThread | undefined {
    return this.thread;
  }

  private onReply(reply: AddReply): void {
    this.outstanding--;
    if (reply.data.length > 0 && this.accepted < this.batchNum) this.spare = reply.data;
    if (reply.bytes > 0) this.bytes = reply.bytes;
    if (reply.error) {
      this.accepted--;
      this.rejected ??= reviveError(reply.error);
    }
    if (reply.result) this.final = { result: reply.result };
    if (reply.resultError) this.final = { error: reviveError(reply.resultError) };
    if (reply.search) this.finishSearch(reply);
    if (this.outstanding === 0) for (const resolve of this.drained.splice(0)) resolve();
  }

  /** The thread handed the last step of the search back: this thread's share of the work. */
  private finishSearch(reply: AddReply): void {
    try {
      this.final = { result: searchResult(reply.search!) };
    } catch (e) {
      // The main thread's own search: not a statistics-thread failure, as serializeError would say.
      const layer = this.spec.options.layer;
      this.final = {
        error: e instanceof AmctError ? e : new CalibrationError('CALIBRATION_INCOMPLETE', `layer ${layer}: the scale/offset search failed: ${String(e)}`, { layer, hint: 'run the calibration again with { statisticsThread: false } and report the error' }),
      };
    }
  }

  /** Waits for the batches sent so far; throws the first rejected batch's error (once). */
  async settle(): Promise<void> {
    if (this.outstanding > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    const rejected = this.rejected;
    this.rejected = undefined;
    if (rejected) throw rejected;
  }

  /** scale_d / offset_d; on the thread, available once `settle()` saw the batch_num-th batch. */
  result(): ScaleOffset {
    if (this.local) return this.local.result();
    if (this.final?.error) throw this.final.error;
    if (this.final?.result) return this.final.result;
    throw new CalibrationError('CALIBRATION_INCOMPLETE', `layer ${this.spec.options.layer ?? '(unnamed)'} has seen ${this.accepted} of batch_num = ${this.batchNum} batches`, {
      layer: this.spec.options.layer,
      hint: 'run batch_num batches through the calibration graph before reading the result',
    });
  }

  memoryBytes(): number {
    return this.local ? this.local.memoryBytes() : this.bytes;
  }

  /** Frees the thread's accumulator (the session is disposed). */
  release(): void {
    if (this.remote !== undefined) this.thread!.drop(this.remote);
    this.spare = undefined;
  }
}
