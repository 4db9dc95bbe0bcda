/**
 * The process's statistics threads (worker_threads Workers running thread.ts), each
 * started on first use and shared by every Session. It keeps the process alive only
 * while batches are in flight, and stops IDLE_MS after the last session using it was
 * disposed (a thread holds ~10 MB of its own; the next calibration starts another). When it cannot start (thread.js missing from a bundle) or
 * dies, new accumulators stay on the main thread and pending batches fail with a typed
 * error (accumulator.ts), so calibration is never silently wrong.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { log } from '../../log';
import { stateBuffers } from './protocol';
import type { AccumulatorSpec, AccumulatorState, AddReply, StatisticsRequest, ThreadMessage } from './protocol';

type ReplyHandler = (reply: AddReply) => void;

/** How long an unused thread waits for the next calibration before it stops. */
const IDLE_MS = 2000;

/**
 * How long a calibration run waits for a starting thread to say it is ready. A thread
 * that takes longer still gets batches; they queue, so its backlog keeps new layers on
 * the main thread meanwhile (placement, below).
 */
const READY_TIMEOUT_MS = 10_000;

/** The compiled thread.js next to this file, or thread.ts run through ts-node in development and tests. */
function threadScript(): { file: string; execArgv: string[] } {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `thread${ext}`);
  return { file, execArgv: ext === '.ts' ? ['--require', 'ts-node/register/transpile-only'] : [] };
}

class StatisticsThread {
  private worker?: Worker;
  private failure?: string;
  private nextId = 1;
  private readonly handlers = new Map<number, ReplyHandler>();
  /** Batches sent and not answered yet, per accumulator id. */
  private readonly pending = new Map<number, number>();
  private inflight = 0;
  private idleTimer?: NodeJS.Timeout;
  /**
   * Values sent, and (in shared memory, added by the thread as it finishes each batch)
   * values binned: their difference is the backlog, readable while the main thread is
   * busy running the model and cannot receive replies. Int32 counters that wrap: only
   * the difference is used.
   */
  private sent = 0;
  private binned = new Int32Array(new SharedArrayBuffer(4));
  /** Added to by the thread after each batch: its busy ms in total. */
  private busy = new Float64Array(new SharedArrayBuffer(8));
  /** Values of main-thread layers this thread may take over at their next batch (planMoves). */
  room = 0;
  /** Values per batch of its layers this thread should hand back to the main thread after this run (planMoves). */
  surplus = 0;
  private readonly exports = new Map<number, (state: AccumulatorState | undefined) => void>();
  private ready?: Promise<void>;
  private becameReady?: () => void;

  /** Whether batches can go to the thread (starting it if needed). */
  available(): boolean {
    return this.failure === undefined && this.ensureWorker() !== undefined;
  }

  /**
   * A new accumulator in the thread, empty or going on from `state` (whose arrays are
   * transferred); replies to its batches go to `onReply`, in order.
   */
  create(spec: AccumulatorSpec, batchNum: number, onReply: ReplyHandler, state?: AccumulatorState): number {
    // With p threads the main thread finishes one IFMR search in p + 1: its share while it waits.
    const shareEvery = threads.length + 1;
    const id = this.nextId++;
    clearTimeout(this.idleTimer);
    this.handlers.set(id, onReply);
    this.pending.set(id, 0);
    this.send({ type: 'create', id, spec, batchNum, shareEvery, state }, state ? stateBuffers(state) : []);
    return id;
  }

  /** Values sent to the thread that it has not binned yet. */
  backlog(): number {
    return (this.sent - Atomics.load(this.binned, 0)) | 0;
  }

  /** The thread's busy time and the values it binned, so far (values an Int32 that wraps: use differences, `| 0`). */
  clock(): { busyMs: number; values: number } {
    return { busyMs: this.busy[0], values: Atomics.load(this.binned, 0) };
  }

  /** Starts the thread if needed; resolves once it has warmed up (or failed, or after READY_TIMEOUT_MS). */
  whenReady(): Promise<void> {
    if (!this.available()) return Promise.resolve();
    return this.ready!;
  }

  /** Sends a batch; its buffer is transferred (unusable here until the reply brings it back). */
  add(id: number, data: Float32Array): void {
    if (this.failure !== undefined) {
      const reply = this.failedReply(id, data);
      queueMicrotask(() => this.handlers.get(id)?.(reply));
      return;
    }
    this.sent = (this.sent + data.length) | 0;
    this.pending.set(id, (this.pending.get(id) ?? 0) + 1);
    if (this.inflight++ === 0) this.worker!.ref();
    this.send({ type: 'add', id, data }, [data.buffer as ArrayBuffer]);
  }

  /**
   * Takes accumulator `id` back from the thread (its batches must all be answered): its
   * state, which the thread forgets, or undefined if the thread is gone.
   */
  exportState(id: number): Promise<AccumulatorState | undefined> {
    if (!this.worker || this.failure !== undefined) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.exports.set(id, resolve);
      if (this.inflight++ === 0) this.worker!.ref(); // the reply must keep the process alive, as a batch's does
      this.send({ type: 'export', id });
    });
  }

  /** Forgets an accumulator (its session was disposed); the thread stops once nothing uses it. */
  drop(id: number): void {
    this.handlers.delete(id);
    this.pending.delete(id);
    if (!this.worker || this.failure !== undefined) return;
    this.send({ type: 'drop', id });
    this.stopWhenUnused();
  }

  /** Starts the idle timer once no accumulator is left on the thread (dropped, or handed back). */
  private stopWhenUnused(): void {
    if (this.handlers.size > 0) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), IDLE_MS);
    this.idleTimer.unref();
  }

  /** Ends an unused thread (replies still in flight belong to dropped accumulators). */
  private stop(): void {
    if (this.handlers.size > 0 || !this.worker) return;
    const worker = this.worker;
    this.worker = undefined;
    this.inflight = 0;
    this.becameReady?.();
    this.ready = undefined;
    worker.removeAllListeners();
    void worker.terminate();
  }

  private send(message: StatisticsRequest, transfer: ArrayBuffer[] = []): void {
    this.worker!.postMessage(message, transfer);
  }

  private ensureWorker(): Worker | undefined {
    if (this.worker) return this.worker;
    const { file, execArgv } = threadScript();
    if (!fs.existsSync(file)) {
      this.failure = `${file} is missing`;
      log.debug(`calibration: statistics thread unavailable (${this.failure}); statistics run on the main thread`);
      return undefined;
    }
    let worker: Worker;
    // A new thread starts with nothing binned: no backlog. New counters, not the old ones
    // zeroed: the old thread, terminating, may still add to those.
    this.sent = 0;
    this.binned = new Int32Array(new SharedArrayBuffer(4));
    this.busy = new Float64Array(new SharedArrayBuffer(8));
    this.room = 0;
    this.surplus = 0;
    try {
      worker = new Worker(file, { execArgv, workerData: { binned: this.binned, busy: this.busy } });
    } catch (e) {
      this.failure = e instanceof Error ? e.message : String(e);
      log.warn(`calibration: the statistics thread could not start (${this.failure}); statistics run on the main thread`);
      return undefined;
    }
    worker.unref(); // idle: never keeps the process alive
    this.ready = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, READY_TIMEOUT_MS);
      timer.unref();
      this.becameReady = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    worker.on('message', (message: ThreadMessage) => {
      if ('ready' in message) this.becameReady?.();
      else if ('exported' in message) this.onExported(message.exported, message.state);
      else this.onReply(message);
    });
    worker.on('error', (e) => this.fail(e instanceof Error ? e.message : String(e)));
    worker.on('exit', (code) => this.fail(`it exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  private onReply(reply: AddReply): void {
    const pending = this.pending.get(reply.id);
    if (pending !== undefined) this.pending.set(reply.id, Math.max(0, pending - 1));
    if (--this.inflight === 0) this.worker?.unref();
    this.handlers.get(reply.id)?.(reply);
  }

  private onExported(id: number, state: AccumulatorState | undefined): void {
    const resolve = this.exports.get(id);
    this.exports.delete(id);
    if (--this.inflight === 0) this.worker?.unref();
    if (state) {
      // The accumulator left the thread: its replies are done.
      this.handlers.delete(id);
      this.pending.delete(id);
      this.stopWhenUnused();
    }
    resolve?.(state);
  }

  private failedReply(id: number, data: Float32Array): AddReply {
    return {
      id,
      data,
      bytes: 0,
      error: {
        name: 'SessionError',
        code: 'EXECUTION_FAILED',
        detail: `the calibration statistics thread stopped: ${this.failure}`,
        hint: 'run the calibration again; if it keeps failing, create the Session with { statisticsThread: false }',
      },
    };
  }

  /** The thread died: every batch in flight gets an error reply; later accumulators stay on the main thread. */
  private fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.becameReady?.();
    for (const resolve of this.exports.values()) resolve(undefined);
    this.exports.clear();
    log.warn(`calibration: the statistics thread stopped (${reason}); statistics now run on the main thread`);
    for (const [id, n] of this.pending) {
      for (let i = 0; i < n; i++) this.handlers.get(id)?.(this.failedReply(id, new Float32Array(0)));
    }
    this.pending.clear();
    this.inflight = 0;
  }
}

export type { StatisticsThread };

/**
 * How many statistics threads: one per core the model's own thread leaves free, at most 4
 * (AMCT_STATISTICS_THREAD_COUNT overrides). Layers go to the least busy one, so the last
 * batch's scale/offset searches of different layers run in parallel too.
 */
function poolSize(): number {
  const env = Number(process.env.AMCT_STATISTICS_THREAD_COUNT);
  if (Number.isInteger(env) && env >= 1) return Math.min(env, 16);
  // os.availableParallelism is Node ≥ 18.14; the package supports any Node 18.
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, cores - 1));
}

const threads: StatisticsThread[] = [];

/** The process's statistics threads (none started until used). */
export function pool(): StatisticsThread[] {
  if (threads.length === 0) for (let i = poolSize(); i > 0; i--) threads.push(new StatisticsThread());
  return threads;
}

/** Starts every statistics thread (a calibration run calls it first) and waits until they are warm. */
export async function statisticsThreadsReady(): Promise<void> {
  await Promise.all(pool().map((t) => t.whenReady()));
}
