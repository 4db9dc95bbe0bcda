/**
 * Which layers' statistics the statistics threads take, and which the main thread keeps.
 *
 * The main thread also runs the model, so a thread should take as much as it can bin
 * while the model runs, and no more: on a model whose activations outrun one thread the
 * main thread would otherwise wait for it after every run (BlazeFace: 8.9 M values per
 * 22 ms run, at ~5 ns per value on the thread). Three rules:
 * - at a layer's first batch, by the threads' backlog (statisticsThreadFor);
 * - at its last batch, a thread anyway (the search that follows);
 * - after each run, by the difference between each thread's work and the main thread's
 *   (planMoves): a thread with less takes over some of the main thread's layers, with
 *   their statistics so far, at their next batch; one with more hands some back after
 *   the run (takeBack).
 * Placement changes no result: every layer's batches run through the same accumulator
 * code in the same order wherever it lives.
 */
import { log } from '../../log';
import { pool } from './pool';
import type { StatisticsThread } from './pool';

/** Which of its batches a layer is at when its place is chosen (the last may also be the first). */
export type BatchPosition = 'first' | 'later' | 'last';

/**
 * Where a layer's statistics should live, chosen before a batch of `values` values.
 * - At its first batch: the thread with the least backlog, unless even that one still has
 *   more than this batch queued; then the main thread bins the layer itself, since the
 *   thread would finish it later than the main thread can, and binning it here lets the
 *   thread catch up while the model goes on. On a model whose activations outrun one
 *   thread (BlazeFace: 8.9 M values per 22 ms run, ~5 ns each on the thread) this keeps
 *   both cores busy until the run ends, instead of the main thread waiting after it.
 * - At its last batch (batch_num of them; with batch_num = 1 also its first): the least
 *   busy thread, whatever its backlog. After the last batch every layer still has its
 *   scale/offset search to run (most of a short calibration's time), and a thread starts a
 *   layer's search as soon as its batch is binned, handing some back to the main thread,
 *   which is idle once the model has run; searches left on the main thread would run one
 *   after another after the run.
 * - At a later batch of a layer the main thread holds: a thread whose `room` (planMoves)
 *   fits the batch.
 * Undefined: bin on the main thread.
 */
export function statisticsThreadFor(values: number, position: BatchPosition): StatisticsThread | undefined {
  const usable = pool().filter((t) => t.available());
  if (position !== 'later') {
    const idlest = usable.reduce<StatisticsThread | undefined>((best, t) => (best === undefined || t.backlog() < best.backlog() ? t : best), undefined);
    return idlest !== undefined && (position === 'last' || idlest.backlog() <= values) ? idlest : undefined;
  }
  const roomiest = usable.reduce<StatisticsThread | undefined>((best, t) => (best === undefined || t.room > best.room ? t : best), undefined);
  if (roomiest === undefined || roomiest.room < values) return undefined;
  roomiest.room -= values;
  return roomiest;
}

/** Main-thread binning of layers large enough for a thread (accumulator.ts adds to it): ms and values. */
export const mainBinning = { ms: 0, values: 0 };

let runStart: { at: number; mainMs: number; mainValues: number; threads: ReturnType<StatisticsThread['clock']>[] } | undefined;

/** Start of a calibration run: the counters planMoves compares with. */
export function markRunStart(): void {
  runStart = { at: performance.now(), mainMs: mainBinning.ms, mainValues: mainBinning.values, threads: pool().map((t) => t.clock()) };
}

/** Share of the imbalance planMoves corrects per run, and the imbalance it leaves alone (run-to-run noise). */
const STEP = 0.5;
const TOLERANCE = 0.1;

/**
 * At the end of a run, before waiting for the threads: evens out each thread's work in
 * this run (busy time, plus what it still has queued) and the main thread's (the model,
 * the copies and the layers it binned itself). Moving v values from the main thread to a
 * thread takes v·(main ns per value) off one and adds v·(thread ns per value) to the
 * other, so a difference d is evened out by v = d / (both costs), each measured over this
 * run; half of that moves per run, and differences within 10% are left alone. A thread
 * with less work gets `room` to take main-thread layers at their next batch; one with
 * more gets a `surplus` of layers to hand back after the run (takeBack).
 */
export function planMoves(): void {
  if (!runStart) return;
  const mainMs = performance.now() - runStart.at;
  const mainValues = mainBinning.values - runStart.mainValues;
  const mainNs = mainValues > 0 ? ((mainBinning.ms - runStart.mainMs) * 1e6) / mainValues : 0;
  pool().forEach((t, i) => {
    const before = runStart!.threads[i];
    const clock = t.clock();
    const values = clock.values - (before?.values ?? 0);
    const busyMs = clock.busyMs - (before?.busyMs ?? 0);
    const threadNs = values > 0 ? (busyMs * 1e6) / values : mainNs;
    const threadMs = busyMs + (t.backlog() * threadNs) / 1e6;
    const perValueNs = (mainNs || threadNs) + threadNs;
    const shift = perValueNs > 0 ? (STEP * (mainMs - threadMs) * 1e6) / perValueNs : 0; // > 0: towards the thread
    const even = Math.abs(mainMs - threadMs) <= TOLERANCE * Math.max(mainMs, threadMs);
    t.room = !even && shift > 0 && mainNs > 0 ? shift : 0;
    t.surplus = !even && shift < 0 ? -shift : 0;
    log.debug(
      `calibration: statistics thread ${i}: ${values} values at ${threadNs.toFixed(2)} ns, ${threadMs.toFixed(1)} ms of work; ` +
        `main thread ${mainMs.toFixed(1)} ms, binning ${mainValues} values at ${mainNs.toFixed(2)} ns; ` +
        `room for ${Math.round(t.room)} values, surplus ${Math.round(t.surplus)}`,
    );
  });
  runStart = undefined;
}

/** What takeBack needs of a layer's statistics (accumulator.ts's LayerStatistics). */
export interface MovableLayer {
  readonly holder: StatisticsThread | undefined;
  readonly batchValues: number;
  moveToMain(): Promise<boolean>;
}

/**
 * After a run's batches are settled: each thread with a surplus hands layers back to the
 * main thread, the last ones of the run first (the queue a thread still has when the
 * model ends is made of them), until the surplus is used up.
 */
export async function takeBack(layers: readonly MovableLayer[]): Promise<void> {
  for (let i = layers.length - 1; i >= 0; i--) {
    const thread = layers[i].holder;
    if (!thread || thread.surplus < layers[i].batchValues) continue;
    if (await layers[i].moveToMain()) thread.surplus -= layers[i].batchValues;
  }
}
