/**
 * When the statistics thread dies (here: a Worker that fails as soon as it gets a batch),
 * the batches it held are lost: the run that fed them fails with a typed error that says
 * what happened and what to do, and the next calibration Session runs its statistics on
 * the main thread and writes the same record as one that never used a thread.
 */
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import { createQuantConfig, quantizeModel, Session, SessionError } from '../../src';
import { batch, tempDir, tinyNet } from './calibration-fixtures';

class DyingWorker extends EventEmitter {
  constructor() {
    super();
    setImmediate(() => this.emit('message', { ready: true })); // starts and warms up like a real thread
  }
  postMessage(message: { type: string }): void {
    if (message.type === 'add') setImmediate(() => this.emit('error', new Error('simulated crash')));
  }
  ref(): void {}
  unref(): void {}
  terminate(): Promise<number> {
    return Promise.resolve(1);
  }
}

// One thread, whatever the machine: the second session must meet the dead one.
process.env.AMCT_STATISTICS_THREAD_COUNT = '1';

jest.mock('worker_threads', () => ({ ...jest.requireActual('worker_threads'), Worker: jest.fn(() => new DyingWorker()) }));

let dir: string;
beforeEach(async () => {
  dir = await tempDir('amct-calib-thread-failure-');
});
afterEach(() => fs.promises.rm(dir, { recursive: true, force: true }));

/** A calibration session over the tiny net, batches large enough for the thread. */
async function calibration(tag: string, statisticsThread: boolean) {
  const graph = tinyNet();
  const config = path.join(dir, `${tag}.json`);
  const record = path.join(dir, `${tag}.txt`);
  await createQuantConfig(config, graph, { batchNum: 2 });
  const q = await quantizeModel(graph, config, record, { calibOutputs: ['bn'] });
  const session = await Session.create(graph, { backend: 'cpu', statisticsThread });
  return { session, record, run: (seed: number) => session.run(q.calibOutputs, { input: batch(seed, 200) }) };
}

it('a dead statistics thread fails the run with a typed error; the next session calibrates on the main thread', async () => {
  const first = await calibration('first', true);
  const e = await first.run(1).catch((x) => x);
  first.session.dispose();
  expect(e).toBeInstanceOf(SessionError);
  expect(e.code).toBe('EXECUTION_FAILED');
  expect(e.message).toMatch(/statistics thread stopped: simulated crash/);
  expect(e.hint).toMatch(/statisticsThread: false/);
  expect(fs.existsSync(first.record)).toBe(false);

  const second = await calibration('second', true);
  const reference = await calibration('reference', false);
  for (const c of [second, reference]) {
    for (const seed of [1, 2]) await c.run(seed);
    c.session.dispose();
  }
  expect(fs.readFileSync(second.record, 'utf8')).toBe(fs.readFileSync(reference.record, 'utf8'));
});
