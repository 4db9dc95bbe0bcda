/**
 * The statistics thread (src/runtime/statistics): large layers' batches are binned on a
 * worker thread while the model runs. It must change nothing a user can see but the time:
 * the record is byte for byte the one the main thread writes, a bad batch still fails the
 * run that fed it (naming the layer) and leaves the statistics as they were, and small
 * layers stay on the main thread.
 */
import * as fs from 'fs';
import * as path from 'path';
import { attrShape, CalibrationError, createQuantConfig, Graph, loadGraph, quantizeModel, Session } from '../../src';
import type { BackendName, Feeds } from '../../src';
import { LayerStatistics, MIN_THREAD_VALUES } from '../../src/runtime/statistics/accumulator';
import * as placement from '../../src/runtime/statistics/placement';
import { pool } from '../../src/runtime/statistics/pool';
import { readRecord } from '../../src/record';
import { rng, uniform } from '../helpers/graph-builders';
import { humanModel } from '../helpers/models';
import { batch, tempDir, tinyNet } from './calibration-fixtures';

// Two threads even on a 2-core machine, so layers are dealt to different threads here.
process.env.AMCT_STATISTICS_THREAD_COUNT = '2';

const ACTIVATIONS = ['conv1/act_quant/QuantIfmr', 'conv2/act_quant/QuantIfmr'];
/** Images per batch that put both tiny-net layers above the thread's threshold (n·6·6·3 and n·6·6·8 values). */
const LARGE = Math.ceil(MIN_THREAD_VALUES / (6 * 6 * 3)) + 1;

let dir: string;
beforeEach(async () => {
  dir = await tempDir('amct-calib-thread-');
});
afterEach(() => fs.promises.rm(dir, { recursive: true, force: true }));

interface Calibrated {
  record: string;
  /** Per activation node: whether its statistics were on the thread. */
  onThread: Record<string, boolean>;
}

/** Calibrates `graph` (a fresh copy per call) over `feeds`, returning the record text. */
async function calibrate(makeGraph: () => Graph | Promise<Graph>, feeds: Feeds[], options: { thread: boolean; backend: BackendName; tag: string; cfg?: string }): Promise<Calibrated> {
  const graph = await makeGraph();
  const config = path.join(dir, `${options.tag}.json`);
  const record = path.join(dir, `${options.tag}.txt`);
  let configDefinition: string | undefined;
  if (options.cfg !== undefined) {
    configDefinition = path.join(dir, `${options.tag}.cfg`);
    fs.writeFileSync(configDefinition, `batch_num: ${feeds.length}\n${options.cfg}`);
  }
  await createQuantConfig(config, graph, configDefinition ? { configDefinition } : { batchNum: feeds.length });
  const outputs = graph.nodes().filter((n) => n.op !== 'Const' && n.op !== 'Placeholder' && graph.dataConsumersOfNode(n.name).length === 0);
  const q = await quantizeModel(graph, config, record, { calibOutputs: outputs.map((n) => n.name) });
  const session = await Session.create(graph, { backend: options.backend, statisticsThread: options.thread });
  try {
    for (const f of feeds) await session.run(q.calibOutputs, f);
    const onThread: Record<string, boolean> = {};
    for (const node of q.inserted.activation.values()) {
      const state = session.nodeState(node)?.get('calibration') as { accumulator: LayerStatistics } | undefined;
      onThread[node] = state?.accumulator instanceof LayerStatistics && state.accumulator.onThread;
    }
    return { record: fs.readFileSync(record, 'utf8'), onThread };
  } finally {
    session.dispose();
  }
}

describe.each(['cpu', 'wasm'] as BackendName[])('statistics thread on %s', (backend) => {
  const large = [1, 2, 3].map((seed) => ({ input: batch(seed, LARGE) }));

  it('writes the same record, byte for byte, as the main thread', async () => {
    const threaded = await calibrate(tinyNet, large, { thread: true, backend, tag: 'thread' });
    const inline = await calibrate(tinyNet, large, { thread: false, backend, tag: 'inline' });
    expect(threaded.onThread).toEqual({ [ACTIVATIONS[0]]: true, [ACTIVATIONS[1]]: true });
    expect(inline.onThread).toEqual({ [ACTIVATIONS[0]]: false, [ACTIVATIONS[1]]: false });
    expect(threaded.record).toBe(inline.record);
    expect(threaded.record).toContain('scale_d');
  });

  it('HFMG layers too', async () => {
    const cfg = 'override_layer_configs { layer_name: "conv2" calibration_config { hfmg_quantize { num_of_bins: 2048 } } }';
    const threaded = await calibrate(tinyNet, large, { thread: true, backend, tag: 'hfmg-thread', cfg });
    const inline = await calibrate(tinyNet, large, { thread: false, backend, tag: 'hfmg-inline', cfg });
    expect(threaded.onThread).toEqual({ [ACTIVATIONS[0]]: true, 'conv2/act_quant/QuantHfmg': true });
    expect(threaded.record).toBe(inline.record);
  });

  it('a NaN batch fails its run naming the layer and leaves the statistics as they were', async () => {
    const graph = tinyNet();
    const config = path.join(dir, 'nan.json');
    const record = path.join(dir, 'nan.txt');
    await createQuantConfig(config, graph, { batchNum: 3 });
    const q = await quantizeModel(graph, config, record, { calibOutputs: ['bn'] });
    const session = await Session.create(graph, { backend, statisticsThread: true });
    try {
      await session.run(q.calibOutputs, large[0]);
      const bad = batch(9, LARGE);
      bad.data[5] = NaN;
      const e = await session.run(q.calibOutputs, { input: bad }).catch((x) => x);
      expect(e).toBeInstanceOf(CalibrationError);
      expect(e).toMatchObject({ code: 'CALIBRATION_DATA_INVALID', layer: 'conv1' });
      expect(e.message).toMatch(/layer conv1 contains NaN/);
      for (const f of large.slice(1)) await session.run(q.calibOutputs, f);
    } finally {
      session.dispose();
    }
    // The rejected batch left no trace in conv1's statistics: its record is a clean run's.
    // (conv2 kept it, as layers that ran before a failing node do on the main thread:
    // Relu6 turned the NaN into a number. The warning about uneven batches says so.)
    const clean = await calibrate(tinyNet, large, { thread: false, backend, tag: 'clean' });
    fs.writeFileSync(path.join(dir, 'clean.txt'), clean.record);
    const [got, want] = [await readRecord(record), await readRecord(path.join(dir, 'clean.txt'))];
    expect(got.get('conv1')).toEqual(want.get('conv1'));
  });

  it('layers the main thread started move to the thread with their statistics, and the record stays the same', async () => {
    // The first run keeps both layers here (as when the thread looks busy); from the
    // second, they go to the thread with the first batch's histogram and tails.
    const real = placement.statisticsThreadFor;
    const place = jest.spyOn(placement, 'statisticsThreadFor').mockImplementation((values, position) => (position === 'first' ? undefined : real(values, 'first')));
    try {
      const moved = await calibrate(tinyNet, large, { thread: true, backend, tag: 'moved' });
      const inline = await calibrate(tinyNet, large, { thread: false, backend, tag: 'moved-inline' });
      expect(place).toHaveBeenCalledWith(expect.any(Number), 'later');
      expect(moved.onThread).toEqual({ [ACTIVATIONS[0]]: true, [ACTIVATIONS[1]]: true });
      expect(moved.record).toBe(inline.record);
    } finally {
      place.mockRestore();
    }
  });

  it('an overloaded thread hands layers back with their statistics, and the record stays the same', async () => {
    // After the first run every thread has a surplus: both layers come back to the main
    // thread for the second batch, and go to a thread again for the last (its search).
    const plan = jest.spyOn(placement, 'planMoves').mockImplementation(() => {
      for (const t of pool()) [t.room, t.surplus] = [0, Infinity];
    });
    const graph = tinyNet();
    const config = path.join(dir, 'back.json');
    const record = path.join(dir, 'back.txt');
    await createQuantConfig(config, graph, { batchNum: large.length });
    const q = await quantizeModel(graph, config, record, { calibOutputs: ['bn'] });
    const session = await Session.create(graph, { backend, statisticsThread: true });
    const placed = () => [...q.inserted.activation.values()].map((n) => (session.nodeState(n)?.get('calibration') as { accumulator: LayerStatistics }).accumulator.onThread);
    const seen: boolean[][] = [];
    try {
      for (const f of large) {
        await session.run(q.calibOutputs, f);
        seen.push(placed());
      }
    } finally {
      session.dispose();
      plan.mockRestore();
    }
    expect(seen).toEqual([
      [false, false], // moved back after the first run
      [false, false], // binned here
      [true, true], // the last batch: on a thread, then its search
    ]);
    const inline = await calibrate(tinyNet, large, { thread: false, backend, tag: 'back-inline' });
    expect(fs.readFileSync(record, 'utf8')).toBe(inline.record);
  });

  it('keeps small layers on the main thread', async () => {
    const small = [1, 2].map((seed) => ({ input: batch(seed, 2) }));
    const { onThread } = await calibrate(tinyNet, small, { thread: true, backend, tag: 'small' });
    expect(Object.values(onThread)).toEqual([false, false]);
  });
});

it('a real model (emotion) calibrates to the same record with and without the thread', async () => {
  const model = () => loadGraph(humanModel('emotion').path);
  const graph = await model();
  const input = graph.nodes().find((n) => n.op === 'Placeholder')!;
  const shape = [4, ...attrShape(input, 'shape')!.dims.slice(1)]; // 4 images of the model's size
  const size = shape.reduce((a, b) => a * b, 1);
  const feeds = [3, 4].map((seed) => ({ [input.name]: { data: uniform(rng(seed), size, -1, 1), shape } }));
  const threaded = await calibrate(model, feeds, { thread: true, backend: 'wasm', tag: 'emotion-thread' });
  const inline = await calibrate(model, feeds, { thread: false, backend: 'wasm', tag: 'emotion-inline' });
  expect(Object.values(threaded.onThread).filter(Boolean).length).toBeGreaterThan(0);
  expect(threaded.record).toBe(inline.record);
});
