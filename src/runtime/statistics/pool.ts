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
import type { AccumulatorSpec, AddReply, StatisticsRequest } from './protocol';

type ReplyHandler = (reply: AddReply) => void;

/** How long an unused thread waits for the next calibration before it stops. */
const IDLE_MS = 2000;

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

  /** Whether batches can go to the thread (starting it if needed). */
  available(): boolean {
    return this.failure === undefined && this.ensureWorker() !== undefined;
  }

  /** A new accumulator in the thread; replies to its batches go to `onReply`, in order. */
  create(spec: AccumulatorSpec, batchNum: number, onReply: ReplyHandler): number {
    // With p threads the main thread finishes one IFMR search in p + 1: its share while it waits.
    const shareEvery = threads.length + 1;
    const id = this.nextId++;
    clearTimeout(this.idleTimer);
    this.handlers.set(id, onReply);
    this.pending.set(id, 0);
    this.send({ type: 'create', id, spec, batchNum, shareEvery });
    return id;
  }

  /** Sends a batch; its buffer is transferred (unusable here until the reply brings it back). */
  add(id: number, data: Float32Array): void {
    if (this.failure !== undefined) {
      const reply = this.failedReply(id, data);
      queueMicrotask(() => this.handlers.get(id)?.(reply));
      return;
    }
    this.pending.set(id, (this.pending.get(id) ?? 0) + 1);
    if (this.inflight++ === 0) this.worker!.ref();
    this.send({ type: 'add', id, data }, [data.buffer as ArrayBuffer]);
  }

  /** Forgets an accumulator (its session was disposed); the thread stops once nothing uses it. */
  drop(id: number): void {
    this.handlers.delete(id);
    this.pending.delete(id);
    if (!this.worker || this.failure !== undefined) return;
    this.send({ type: 'drop', id });
    if (this.handlers.size === 0) {
      this.idleTimer = setTimeout(() => this.stop(), IDLE_MS);
      this.idleTimer.unref();
    }
  }

  /** Ends an unused thread (replies still in flight belong to dropped accumulators). */
  private stop(): void {
    if (this.handlers.size > 0 || !this.worker) return;
    const worker = this.worker;
    this.worker = undefined;
    this.inflight = 0;
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
    try {
      worker = new Worker(file, { execArgv });
    } catch (e) {
      this.failure = e instanceof Error ? e.message : String(e);
      log.warn(`calibration: the statistics thread could not start (${this.failure}); statistics run on the main thread`);
      return undefined;
    }
    worker.unref(); // idle: never keeps the process alive
    worker.on('message', (reply: AddReply) => this.onReply(reply));
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
 * (AMCT_STATISTICS_THREAD_COUNT overrides). Layers are dealt to them in turn, so the last
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
let turn = 0;

/** The statistics thread for the next layer (created lazily; each starts on its first `available()`). */
export function statisticsThread(): StatisticsThread {
  if (threads.length === 0) for (let i = poolSize(); i > 0; i--) threads.push(new StatisticsThread());
  return threads[turn++ % threads.length];
}
