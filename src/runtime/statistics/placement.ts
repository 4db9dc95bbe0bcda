/**
 * Which layers' statistics the statistics threads take, and which the main thread keeps.
 *
 * The main thread also runs the model, so a thread should take as much as it can bin
 * while the model runs, and no more: on a model whose activations outrun one thread the
 * main thread would otherwise wait for it after every run (BlazeFace: 8.9 M values per
 * 22 ms run, at ~5 ns per value on the thread). Two steps:
 * - at a layer's first batch, by the threads' backlog (statisticsThreadFor);
 * - after each run, by how long each thread sat idle while the main thread was still
 *   binning (planMoves): that thread takes over some of the main thread's layers, with
 *   their statistics so far, at their next batch. Layers never move back.
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

/** Milliseconds since the epoch, comparable between threads (each has its own timeOrigin). */
function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Start of a calibration run: the counters planMoves compares with. */
export function markRunStart(): void {
  runStart = { at: epochMs(), mainMs: mainBinning.ms, mainValues: mainBinning.values, threads: pool().map((t) => t.clock()) };
}

/** Share of a thread's idle time planMoves fills: leaves slack for run-to-run noise. */
const FILL = 0.8;

/**
 * At the end of a run, before waiting for the threads: gives each thread that had gone
 * idle while the main thread was still binning layers the room to take some of them over
 * at their next batch. Moving v values takes v·(main ns per value) off the main thread
 * and adds v·(thread ns per value) to the thread, so the idle time t is filled by
 * v = t / (both costs), each measured over this run. A thread that is still busy gets
 * no room: layers never move back, as the first run's placement errs towards the main
 * thread (the thread pays its one-off costs there).
 */
export function planMoves(): void {
  if (!runStart) return;
  const now = epochMs();
  const mainValues = mainBinning.values - runStart.mainValues;
  const mainNs = mainValues > 0 ? ((mainBinning.ms - runStart.mainMs) * 1e6) / mainValues : 0;
  pool().forEach((t, i) => {
    const before = runStart!.threads[i];
    const clock = t.clock();
    const values = clock.values - (before?.values ?? 0);
    const threadNs = values > 0 ? ((clock.busyMs - (before?.busyMs ?? 0)) * 1e6) / values : mainNs;
    // Idle within this run only: before it, the user may have paused for any time.
    const idleMs = t.backlog() === 0 ? Math.max(0, now - Math.max(clock.finishedAt, runStart!.at)) : 0;
    t.room = mainNs > 0 ? (FILL * idleMs * 1e6) / (mainNs + threadNs) : 0;
    log.debug(
      `calibration: statistics thread ${i}: ${values} values at ${threadNs.toFixed(2)} ns, idle ${idleMs.toFixed(1)} ms at the end; ` +
        `main thread ${mainValues} values at ${mainNs.toFixed(2)} ns; room for ${Math.round(t.room)} values`,
    );
  });
  runStart = undefined;
}
