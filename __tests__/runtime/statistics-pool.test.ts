/**
 * The statistics thread must keep the process alive while the main thread waits for it
 * (a batch's reply, or an accumulator handed back), and only then: a Worker that is
 * unref'd while a promise waits on it lets Node exit in the middle of a calibration
 * (jest keeps its own loop alive, so only a plain script would notice). The Worker here
 * is a stand-in that records ref/unref and answers when told.
 */
import { EventEmitter } from 'events';
import { pool } from '../../src/runtime/statistics/pool';
import type { AccumulatorSpec } from '../../src/runtime/statistics/protocol';

class FakeWorker extends EventEmitter {
  readonly calls: string[] = [];
  readonly sent: { type: string; id?: number }[] = [];
  constructor() {
    super();
    setImmediate(() => this.emit('message', { ready: true }));
  }
  postMessage(message: { type: string; id?: number }): void {
    this.sent.push(message);
  }
  ref(): void {
    this.calls.push('ref');
  }
  unref(): void {
    this.calls.push('unref');
  }
  terminate(): Promise<number> {
    return Promise.resolve(0);
  }
}

const workers: FakeWorker[] = [];
process.env.AMCT_STATISTICS_THREAD_COUNT = '1';
jest.mock('worker_threads', () => ({
  ...jest.requireActual('worker_threads'),
  Worker: jest.fn(() => {
    const w = new FakeWorker();
    workers.push(w);
    return w;
  }),
}));

const spec: AccumulatorSpec = { algo: 'ifmr', options: { maxPercentile: 0.999999, minPercentile: 0.999999, searchRange: [0.7, 1.3], searchStep: 0.01, asymmetric: true, layer: 'conv1' } };

test('the thread is ref’d exactly while a batch or a hand-back is awaited', async () => {
  const [thread] = pool();
  await thread.whenReady();
  const worker = workers[0];
  expect(worker.calls).toEqual(['unref']); // idle: never keeps the process alive

  const id = thread.create(spec, 3, () => undefined);
  thread.add(id, new Float32Array(8));
  expect(worker.calls.at(-1)).toBe('ref');
  worker.emit('message', { id, data: new Float32Array(8), bytes: 1 });
  expect(worker.calls.at(-1)).toBe('unref');

  const handedBack = thread.exportState(id);
  expect(worker.sent.at(-1)).toEqual({ type: 'export', id });
  expect(worker.calls.at(-1)).toBe('ref');
  worker.emit('message', { exported: id, state: undefined });
  await expect(handedBack).resolves.toBeUndefined();
  expect(worker.calls.at(-1)).toBe('unref');
  expect(worker.calls.filter((c) => c === 'ref').length).toBe(worker.calls.filter((c) => c === 'unref').length - 1);
});
