/**
 * int32 matrix products run on wasm (issue 11, item 8): tfjs's wasm BatchMatMul takes
 * float32 only, so the session runs those nodes with the cpu kernel and gets cpu's
 * values, computed by hand here; float32 products still use the wasm kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { attr, DataType, Graph } from '../../src/ir';
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
