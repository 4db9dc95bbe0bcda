/**
 * Session.run leaves the backend as it found it (issue 11, item 1): on @vladmandic/human's
 * handtrack (an SSD detector whose NonMaxSuppression/While/TensorList control flow makes
 * tfjs run it with executeAsync), the float graph, the calibration graph (quantizeModel)
 * and the deployable INT8 graph (saveModel: AscendQuant/AscendDequant kernels) each run
 * 20 times on wasm after a warm-up: tf.memory()'s tensor count and bytes must come back
 * exactly, and the wasm heap (which only grows) must not grow by more than GROWTH. Before
 * the fix the INT8 graph leaked ~1,480 tensors and ~710 MB per run (heap 0.76 → 2.9 GB
 * over 3 runs), so GROWTH is 1% of one leaking run.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { createQuantConfig, loadGraph, quantizeModel, saveGraph, saveModel, Session } from '../../src';
import type { Graph } from '../../src';
import { wasmHeapBytes } from '../../src/runtime/wasm-memory';
import { rng } from '../helpers/random';
import { UINT8_MODEL } from '../helpers/models';

const RUNS = 20;
const WARM_UP = 3;
const GROWTH = 8 * 2 ** 20;
const OUTPUTS = ['Identity', 'Identity_1', 'Identity_2', 'Identity_3', 'Identity_4', 'Identity_5', 'Identity_6', 'Identity_7'];

/** handtrack takes int32 pixels [1, 320, 320, 3]; seeded values in [0, 255]. */
function image(seed: number): { data: Int32Array; shape: number[] } {
  const r = rng(seed);
  return { data: Int32Array.from({ length: 320 * 320 * 3 }, () => Math.floor(r() * 256)), shape: [1, 320, 320, 3] };
}

interface Footprint {
  tensors: number;
  bytes: number;
  heap: number;
}

function footprint(): Footprint {
  return { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, heap: wasmHeapBytes() };
}

const measured: string[] = [];

/** Warm-up runs, then RUNS runs; the footprint before and after the RUNS. */
async function runRepeatedly(label: string, graph: Graph, fetches: string[], feedName: string): Promise<[Footprint, Footprint]> {
  const session = await Session.create(graph, { backend: 'wasm' });
  try {
    const feed = { [feedName]: image(1) };
    for (let i = 0; i < WARM_UP; i++) await session.run(fetches, feed);
    const before = footprint();
    for (let i = 0; i < RUNS; i++) {
      const out = await session.run(fetches, feed);
      expect(out).toHaveLength(fetches.length);
    }
    const after = footprint();
    measured.push(`${label.padEnd(12)} tensors ${before.tensors} -> ${after.tensors}, bytes ${before.bytes} -> ${after.bytes}, wasm heap ${before.heap} -> ${after.heap}`);
    return [before, after];
  } finally {
    session.dispose();
  }
}

function expectFlat([before, after]: [Footprint, Footprint]): void {
  expect(after.tensors).toBe(before.tensors);
  expect(after.bytes).toBe(before.bytes);
  expect(before.heap).toBeGreaterThan(0);
  expect(after.heap - before.heap).toBeLessThanOrEqual(GROWTH);
}

describe('runs of a control-flow model do not leak (handtrack, wasm)', () => {
  let dir: string;
  let float: Graph;
  beforeAll(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'amct-leaks-'));
    float = await loadGraph(UINT8_MODEL.path);
  });
  afterAll(async () => {
    await fs.promises.rm(dir, { recursive: true, force: true });
    console.log(`${RUNS} runs after ${WARM_UP} warm-up runs:\n${measured.join('\n')}`);
  });

  test('float graph', async () => {
    expectFlat(await runRepeatedly('float', float.clone(), OUTPUTS, 'input_tensor'));
  });

  test('calibration graph and INT8 graph', async () => {
    const config = path.join(dir, 'config.json');
    const record = path.join(dir, 'record.txt');
    await createQuantConfig(config, float, { batchNum: 1 });
    const calibration = float.clone();
    const { calibOutputs } = await quantizeModel(calibration, config, record, { calibOutputs: OUTPUTS });
    expectFlat(await runRepeatedly('calibration', calibration, calibOutputs, 'input_tensor'));

    const pb = path.join(dir, 'handtrack.pb');
    await saveGraph(float, pb);
    const saved = await saveModel(pb, OUTPUTS, record, path.join(dir, 'handtrack'));
    const int8 = await loadGraph(saved.quantizedPb);
    expect(int8.nodes().some((n) => n.op === 'AscendQuant')).toBe(true);
    expectFlat(await runRepeatedly('INT8', int8, OUTPUTS, 'input_tensor'));
  });
});
