/**
 * A WebAssembly trap during a run is a typed error and leaves wasm usable (issue 11,
 * item 2). A harmless trap (the wasm MatMul kernel divides by an empty batch) keeps the
 * backend and the caller's tensors; a heap written over (as tfjs did after a failed
 * malloc: then every op traps with "memory access out of bounds") gets the backend
 * restarted, and the same session and new sessions compute right again.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SessionError } from '../../src/errors';
import { attr, DataType, Graph } from '../../src/ir';
import { Session } from '../../src/runtime';
import { wasmGeneration } from '../../src/runtime/wasm-health';
import { matMulGraph, placeholder } from './tiny-graphs';
import { rejectionOf } from '../helpers/errors';

/** x [1,2] · w: w of shape [0,2,1] makes the wasm BatchMatMul kernel trap ("remainder by zero"). */
function batchMatMulGraph(): Graph {
  const g = new Graph();
  placeholder(g, 'x', [1, 2]);
  placeholder(g, 'w', [-1, 2, 1]);
  g.addNode({ name: 'mm', op: 'BatchMatMulV2', inputs: ['x', 'w'], attr: { T: attr.type(DataType.DT_FLOAT), adj_x: attr.bool(false), adj_y: attr.bool(false) } });
  return g;
}

const X = { data: [1, 1], shape: [1, 2] };

const errorOf = (p: Promise<unknown>) => rejectionOf(p, SessionError);

async function dense(session: Session): Promise<number[]> {
  return Array.from((await session.run('y', { x: X })).data as Float32Array);
}

test('a trap that leaves the module sound: EXECUTION_FAILED, backend and tensors kept', async () => {
  const session = await Session.create(batchMatMulGraph(), { backend: 'wasm' });
  try {
    await tf.setBackend('wasm');
    const mine = tf.tensor([7, 8]);
    const generation = wasmGeneration();
    const e = await errorOf(session.run('mm', { x: X, w: { data: [], shape: [0, 2, 1] } }));
    expect(e.code).toBe('EXECUTION_FAILED');
    expect(wasmGeneration()).toBe(generation);
    expect(Array.from(await mine.data())).toEqual([7, 8]);
    mine.dispose();
    const ok = await session.run('mm', { x: X, w: { data: [2, 3], shape: [1, 2, 1] } });
    expect(Array.from(ok.data as Float32Array)).toEqual([5]);
  } finally {
    session.dispose();
  }
});

test('a heap written over: the backend is restarted, old and new sessions compute right', async () => {
  const session = await Session.create(matMulGraph(), { backend: 'wasm' });
  try {
    expect(await dense(session)).toEqual([5.5, 0, 10]);
    const generation = wasmGeneration();
    const wasm = (tf.engine().findBackend('wasm') as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm;
    wasm.HEAPU8.fill(0x7f, 0, 65536); // the module's own data at the bottom of the heap

    const e = await errorOf(dense(session));
    expect(e.code).toBe('EXECUTION_FAILED');
    expect(e.message).toMatch(/memory access out of bounds/);
    expect(e.message).toMatch(/wasm backend was restarted|was restarted/);
    expect(wasmGeneration()).toBe(generation + 1);

    expect(await dense(session)).toEqual([5.5, 0, 10]); // weights reloaded
    const fresh = await Session.create(matMulGraph(), { backend: 'wasm' });
    try {
      expect(await dense(fresh)).toEqual([5.5, 0, 10]);
    } finally {
      fresh.dispose();
    }
  } finally {
    session.dispose();
  }
});
