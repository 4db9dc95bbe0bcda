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
  if (position === 'later') {
    // Every batch of a main-thread layer asks; mostly no thread has room, and then nothing
    // else needs looking at (available() may start a thread).
    const roomiest = least(pool().filter((t) => t.room >= values && t.available()), (t) => -t.room);
    if (roomiest) roomiest.room -= values;
    return roomiest;
  }
  const idlest = least(pool().filter((t) => t.available()), (t) => t.backlog());
  return idlest !== undefined && (position === 'last' || idlest.backlog() <= values) ? idlest : undefined;
}

/** The first of `items` with the least `key`. */
function least<T>(items: readonly T[], key: (item: T) => number): T | undefined {
  let best: T | undefined;
  let bestKey = Infinity;
  for (const item of items) {
    const k = key(item);
    if (best === undefined || k < bestKey) [best, bestKey] = [item, k];
  }
  return best;
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
    const values = (clock.values - before.values) | 0; // an Int32 counter that wraps
    const plan = balance({ mainMs, mainNs, busyMs: clock.busyMs - before.busyMs, values, backlog: t.backlog() });
    [t.room, t.surplus] = [plan.room, plan.surplus];
    log.debug(
      `calibration: statistics thread ${i}: ${values} values at ${plan.threadNs.toFixed(2)} ns, ${plan.threadMs.toFixed(1)} ms of work; ` +
        `main thread ${mainMs.toFixed(1)} ms, binning ${mainValues} values at ${mainNs.toFixed(2)} ns; ` +
        `room for ${Math.round(t.room)} values, surplus ${Math.round(t.surplus)}`,
    );
  });
  runStart = undefined;
}

/** One run's figures for one thread, as planMoves measures them. */
export interface RunFigures {
  /** The main thread's run time, and its ns per value binned (0: it binned none). */
  mainMs: number;
  mainNs: number;
  /** The thread's busy ms and values binned in the run, and the values it still has queued. */
  busyMs: number;
  values: number;
  backlog: number;
}

/** planMoves for one thread: the values it may take over (`room`) or should hand back (`surplus`); see planMoves. */
export function balance(f: RunFigures): { room: number; surplus: number; threadNs: number; threadMs: number } {
  const threadNs = f.values > 0 ? (f.busyMs * 1e6) / f.values : f.mainNs;
  const threadMs = f.busyMs + (f.backlog * threadNs) / 1e6;
  const perValueNs = (f.mainNs || threadNs) + threadNs;
  const shift = perValueNs > 0 ? (STEP * (f.mainMs - threadMs) * 1e6) / perValueNs : 0; // > 0: towards the thread
  const even = Math.abs(f.mainMs - threadMs) <= TOLERANCE * Math.max(f.mainMs, threadMs);
  return { room: !even && shift > 0 && f.mainNs > 0 ? shift : 0, surplus: !even && shift < 0 ? -shift : 0, threadNs, threadMs };
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
  // Chosen first, then moved at once: the hand-backs of different threads overlap.
  const moving: Promise<void>[] = [];
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    const thread = layer.holder;
    if (!thread || thread.surplus < layer.batchValues) continue;
    thread.surplus -= layer.batchValues;
    moving.push(layer.moveToMain().then((moved) => void (moved || (thread.surplus += layer.batchValues))));
  }
  await Promise.all(moving);
}
