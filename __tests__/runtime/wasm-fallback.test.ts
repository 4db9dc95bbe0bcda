/**
 * Nodes the wasm backend has no kernel for run on wasm sessions anyway (issue 11, item
 * 8): tfjs's wasm BatchMatMul takes float32 only and its convolutions NHWC only, so the
 * session runs those nodes with the cpu kernel and gets cpu's values, computed by hand
 * here; float32 NHWC work still uses the wasm kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { attr, DataType, floatTensor, Graph } from '../../src/ir';
import { BackendName, Session } from '../../src/runtime';
import { placeholder } from './tiny-graphs';

const I = attr.type(DataType.DT_INT32);

/** a [2,2,3] · b [3,2] (BatchMatMulV2, broadcast over the batch; adj_x false) and aT [3,2]ᵀ · b as MatMul with transpose_a. */
function int32Graph(): Graph {
  const g = new Graph();
  placeholder(g, 'a', [2, 2, 3], DataType.DT_INT32);
  placeholder(g, 'b', [3, 2], DataType.DT_INT32);
  placeholder(g, 'aT', [3, 2], DataType.DT_INT32);
  g.addNode({ name: 'bmm', op: 'BatchMatMulV2', inputs: ['a', 'b'], attr: { T: I, adj_x: attr.bool(false), adj_y: attr.bool(false) } });
  g.addNode({ name: 'mm', op: 'MatMul', inputs: ['aT', 'b'], attr: { T: I, transpose_a: attr.bool(true), transpose_b: attr.bool(false) } });
  return g;
}

const A = [1, 2, 3, 4, 5, 6, -1, 0, 7, 100000, -3, 2];
const B = [1, 2, 3, 4, 5, 6];
const AT = [1, 4, 2, 5, 3, 6]; // [[1,2,3],[4,5,6]] transposed

/** Row-major product of [m,k] and [k,n]. */
function product(a: number[], b: number[], m: number, k: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let q = 0; q < k; q++) s += a[i * k + q] * b[q * n + j];
    out.push(s);
  }
  return out;
}

async function run(backend: BackendName): Promise<{ bmm: number[]; mm: number[]; dtype: string }> {
  const session = await Session.create(int32Graph(), { backend });
  try {
    const [bmm, mm] = await session.run(['bmm', 'mm'], {
      a: { data: Int32Array.from(A), shape: [2, 2, 3] },
      b: { data: Int32Array.from(B), shape: [3, 2] },
      aT: { data: Int32Array.from(AT), shape: [3, 2] },
    });
    expect(bmm.shape).toEqual([2, 2, 2]);
    expect(mm.shape).toEqual([2, 2]);
    return { bmm: Array.from(bmm.data as Int32Array), mm: Array.from(mm.data as Int32Array), dtype: bmm.dtype };
  } finally {
    session.dispose();
  }
}

test('int32 BatchMatMulV2 and MatMul run on wasm with the values of cpu and of the hand product', async () => {
  const wasm = await run('wasm');
  const cpu = await run('cpu');
  expect(wasm.dtype).toBe('int32');
  expect(wasm.bmm).toEqual([...product(A.slice(0, 6), B, 2, 3, 2), ...product(A.slice(6), B, 2, 3, 2)]);
  expect(wasm.mm).toEqual(product([1, 2, 3, 4, 5, 6], B, 2, 3, 2));
  expect(wasm).toEqual(cpu);
});

test('float32 products keep the wasm kernel, and the fallback leaves no tensor behind', async () => {
  const g = new Graph();
  placeholder(g, 'x', [1, 2]);
  placeholder(g, 'w', [2, 1]);
  g.addNode({ name: 'mm', op: 'MatMul', inputs: ['x', 'w'], attr: { T: attr.type(DataType.DT_FLOAT), transpose_a: attr.bool(false), transpose_b: attr.bool(false) } });
  const session = await Session.create(g, { backend: 'wasm' });
  try {
    const y = await session.run('mm', { x: { data: [1.5, 2], shape: [1, 2] }, w: { data: [2, -1], shape: [2, 1] } });
    expect(Array.from(y.data as Float32Array)).toEqual([1]);
  } finally {
    session.dispose();
  }
  const before = tf.memory().numTensors;
  const cpuData = tf.engine().findBackend('cpu').numDataIds();
  await run('wasm');
  expect(tf.memory().numTensors).toBe(before);
  expect(tf.engine().findBackend('cpu').numDataIds()).toBe(cpuData); // the copies made for the cpu kernel are freed
});

/** img [1,1,3,3] NCHW (1..9), filter 2×2 [1,2,3,4] VALID: conv and _FusedConv2D (+ bias 10, Relu). */
function nchwGraph(): Graph {
  const g = new Graph();
  const F = attr.type(DataType.DT_FLOAT);
  placeholder(g, 'img', [1, 1, 3, 3]);
  g.addNode({ name: 'filter', op: 'Const', attr: { dtype: F, value: attr.tensor(floatTensor([2, 2, 1, 1], [1, 2, 3, 4])) } });
  g.addNode({ name: 'bias', op: 'Const', attr: { dtype: F, value: attr.tensor(floatTensor([1], [10])) } });
  const conv = { T: F, strides: attr.ints([1, 1, 1, 1]), padding: attr.str('VALID'), data_format: attr.str('NCHW'), dilations: attr.ints([1, 1, 1, 1]) };
  g.addNode({ name: 'conv', op: 'Conv2D', inputs: ['img', 'filter'], attr: conv });
  g.addNode({ name: 'fused', op: '_FusedConv2D', inputs: ['img', 'filter', 'bias'], attr: { ...conv, fused_ops: attr.strs(['BiasAdd', 'Relu']), num_args: attr.int(1), epsilon: attr.float(0) } });
  return g;
}

test.each(['wasm', 'cpu'] as BackendName[])('NCHW Conv2D and _FusedConv2D on %s: the hand-computed windows', async (backend) => {
  const session = await Session.create(nchwGraph(), { backend });
  try {
    const [conv, fused] = await session.run(['conv', 'fused'], { img: { data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), shape: [1, 1, 3, 3] } });
    expect(conv.shape).toEqual([1, 1, 2, 2]);
    // a + 2b + 3d + 4e over each 2×2 window: (1,2,4,5) → 37, (2,3,5,6) → 47, (4,5,7,8) → 67, (5,6,8,9) → 77
    expect(Array.from(conv.data as Float32Array)).toEqual([37, 47, 67, 77]);
    expect(Array.from(fused.data as Float32Array)).toEqual([47, 57, 77, 87]);
  } finally {
    session.dispose();
  }
});
