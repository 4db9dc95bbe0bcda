/**
 * Runs leave the backend usable and as they found it (issue 11, items 1 and 2), on small
 * graphs and both backends:
 * - a sync kernel (AscendQuant) in a graph run with executeAsync (NonMaxSuppression)
 *   frees its intermediates; an async kernel that forgets one is cleaned up by the run's
 *   scope; tensors handed out with { as: 'tensor' } survive it;
 * - on wasm, a run whose tensor cannot be allocated (a Tile output over 4 GiB) is
 *   OUT_OF_MEMORY, and afterwards the same session and a new one compute right;
 * - feeds that cannot fit the wasm heap are refused before any is copied (FEED_TOO_LARGE).
 */
import * as tf from '@tensorflow/tfjs-core';
import { SessionError } from '../../src/errors';
import { attr, DataType, floatTensor, Graph, int32Tensor } from '../../src/ir';
import { BackendName, registerKernel, Session } from '../../src/runtime';
import { wasmHeapBytes } from '../../src/runtime/wasm-memory';
import { constant, matMulGraph, placeholder } from './tiny-graphs';
import { rejectionOf } from '../helpers/errors';

const F = attr.type(DataType.DT_FLOAT);
const BACKENDS: BackendName[] = ['cpu', 'wasm'];

/** Leaks one intermediate per run on purpose: async kernels must free their own, the run's scope must catch this one. */
registerKernel('AmctTestLeakyAsync', async ({ inputs: [x] }) => {
  tf.add(x, 1);
  return tf.mul(x, 2);
}, { async: true });

/**
 * boxes [4,4], scores [4] → NonMaxSuppressionV3 (so tfjs needs executeAsync); x [2,3] →
 * AscendQuant (scale 10: round(10·x)) and AmctTestLeakyAsync (2·x).
 */
function controlFlowGraph(): Graph {
  const g = new Graph();
  placeholder(g, 'boxes', [4, 4]);
  placeholder(g, 'scores', [4]);
  placeholder(g, 'x', [2, 3]);
  constant(g, 'max', int32Tensor([], [2]));
  constant(g, 'iou', floatTensor([], [0.5]));
  constant(g, 'min_score', floatTensor([], [0]));
  g.addNode({ name: 'nms', op: 'NonMaxSuppressionV3', inputs: ['boxes', 'scores', 'max', 'iou', 'min_score'], attr: { T: F } });
  g.addNode({ name: 'q', op: 'AscendQuant', inputs: ['x'], attr: { T: F, quant_bits: attr.int(8), scale: attr.float(10), offset: attr.float(0), dst_type: attr.str('INT8') } });
  g.addNode({ name: 'twice', op: 'AmctTestLeakyAsync', inputs: ['x'], attr: { T: F } });
  return g;
}

const FEEDS = {
  boxes: { data: [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 5, 5, 6, 6], shape: [4, 4] },
  scores: { data: [0.9, 0.8, 0.7, 0.1], shape: [4] },
  x: { data: [0.04, -0.26, 1, 2.5, -12.8, 0], shape: [2, 3] },
};

const errorOf = (p: Promise<unknown>) => rejectionOf(p, SessionError);

describe.each(BACKENDS)('runs on %s free everything they do not hand out', (backend) => {
  test('sync kernels under executeAsync, a leaky async kernel, 20 runs', async () => {
    const session = await Session.create(controlFlowGraph(), { backend });
    try {
      const first = await session.run(['nms', 'q', 'twice'], FEEDS);
      expect(Array.from(first[0].data as Int32Array)).toEqual([0, 2]); // box 1 overlaps box 0 fully
      expect(Array.from(first[1].data as Float32Array, (v) => v + 0)).toEqual([0, -3, 10, 25, -128, 0]);
      expect(Array.from(first[2].data as Float32Array)).toEqual(Array.from(Float32Array.from([0.08, -0.52, 2, 5, -25.6, 0])));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 20; i++) await session.run(['nms', 'q', 'twice'], FEEDS);
      expect(tf.memory().numTensors).toBe(before);

      const handed = await session.run(['q', 'twice'], FEEDS, { as: 'tensor' });
      expect(tf.memory().numTensors).toBe(before + 2);
      expect(Array.from(await handed[0].data(), (v) => v + 0)).toEqual([0, -3, 10, 25, -128, 0]);
      tf.dispose(handed);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      session.dispose();
    }
  });

  test('failed runs free their feeds and intermediates', async () => {
    const session = await Session.create(reshapeGraph(), { backend });
    try {
      const ok = await session.run('r', { x: { data: [1, 2, 3, 4], shape: [4] }, s: { data: Int32Array.from([2, 2]), shape: [2] } });
      expect(ok.shape).toEqual([2, 2]);
      const before = tf.memory().numTensors;
      const e = await errorOf(session.run('r', { x: { data: [1, 2, 3], shape: [3] }, s: { data: Int32Array.from([2, 2]), shape: [2] } }));
      expect(e.code).toBe('EXECUTION_FAILED');
      expect(e.node).toBe('r');
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      session.dispose();
    }
  });
});

/** x [n] → Exp → Reshape to s: fails in tfjs when n is not the product of s. */
function reshapeGraph(): Graph {
  const g = new Graph();
  placeholder(g, 'x', [-1]);
  placeholder(g, 's', [2], DataType.DT_INT32);
  g.addNode({ name: 'e', op: 'Exp', inputs: ['x'], attr: { T: F } });
  g.addNode({ name: 'r', op: 'Reshape', inputs: ['e', 's'], attr: { T: F, Tshape: attr.type(DataType.DT_INT32) } });
  return g;
}

/** x [n] float, m [1] int32 → Tile: n·m values. */
function tileGraph(): Graph {
  const g = new Graph();
  placeholder(g, 'x', [-1]);
  placeholder(g, 'm', [1], DataType.DT_INT32);
  g.addNode({ name: 'tile', op: 'Tile', inputs: ['x', 'm'], attr: { T: F, Tmultiples: attr.type(DataType.DT_INT32) } });
  return g;
}

describe('wasm memory', () => {
  const x = { data: Float32Array.from({ length: 1024 }, (_, i) => i), shape: [1024] };

  test('an allocation beyond the 4 GiB heap is OUT_OF_MEMORY, and the backend still computes right', async () => {
    const session = await Session.create(tileGraph(), { backend: 'wasm' });
    try {
      const before = tf.memory().numTensors;
      // 1024 · 2^20 floats = 4 GiB: more than wasm32 can address.
      const e = await errorOf(session.run('tile', { x, m: { data: Int32Array.from([2 ** 20]), shape: [1] } }));
      expect(e.code).toBe('OUT_OF_MEMORY');
      expect(e.message).toMatch(/4\.00 GiB/);
      expect(e.hint).toMatch(/smaller batches/);
      expect(tf.memory().numTensors).toBe(before);
      expect(wasmHeapBytes()).toBeLessThan(2 ** 30); // nothing was allocated for it

      const small = await session.run('tile', { x: { data: [1, 2], shape: [2] }, m: { data: Int32Array.from([2]), shape: [1] } });
      expect(Array.from(small.data as Float32Array)).toEqual([1, 2, 1, 2]);
    } finally {
      session.dispose();
    }
    const fresh = await Session.create(matMulGraph(), { backend: 'wasm' });
    try {
      const y = await fresh.run('y', { x: { data: [1, 1], shape: [1, 2] } });
      expect(Array.from(y.data as Float32Array)).toEqual([5.5, 0, 10]);
    } finally {
      fresh.dispose();
    }
  });

  test('a feed that cannot fit is refused before it is copied, naming its size', async () => {
    const session = await Session.create(tileGraph(), { backend: 'wasm' });
    try {
      const heap = wasmHeapBytes();
      // 2^29 floats = 2 GiB (allocated lazily by the OS: untouched pages cost nothing).
      const huge = { data: new Float32Array(2 ** 29), shape: [2 ** 29] };
      const e = await errorOf(session.run('tile', { x: huge, m: { data: Int32Array.from([1]), shape: [1] } }));
      expect(e.code).toBe('FEED_TOO_LARGE');
      expect(e.node).toBe('x');
      expect(e.message).toMatch(/2\.00 GiB/);
      expect(wasmHeapBytes()).toBe(heap);
      const ok = await session.run('tile', { x: { data: [3], shape: [1] }, m: { data: Int32Array.from([3]), shape: [1] } });
      expect(Array.from(ok.data as Float32Array)).toEqual([3, 3, 3]);
    } finally {
      session.dispose();
    }
  });
});
