import * as tf from '@tensorflow/tfjs-core';
import { SessionError } from '../../src/errors';
import { attr, DataType, Graph, int32Tensor } from '../../src/ir';
import { Session } from '../../src/runtime';
import { constant, matMulGraph, placeholder } from './tiny-graphs';

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<{ code?: string; message: string; node?: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(SessionError);
    return e as SessionError;
  }
  throw new Error('expected a SessionError');
}

describe('Session errors', () => {
  let session: Session;
  const x = { data: [1, 1], shape: [1, 2] };
  beforeAll(async () => {
    session = await Session.create(matMulGraph(), { backend: 'cpu' });
  });
  afterAll(() => session.dispose());

  test('FEED_UNKNOWN lists the placeholders', async () => {
    const e = await codeOf(session.run('y', { x, nope: x }));
    expect(e.code).toBe('FEED_UNKNOWN');
    expect(e.message).toMatch(/nope/);
    expect(e.message).toMatch(/placeholders are: x/);
  });

  test('FEED_MISSING names the placeholder; fetches that do not need it run', async () => {
    const e = await codeOf(session.run('y', {}));
    expect(e.code).toBe('FEED_MISSING');
    expect(e.node).toBe('x');
    const w = await session.run('W');
    expect(Array.from(w.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('FEED_SHAPE_MISMATCH on rank, fixed dims and data length; -1 takes any size', async () => {
    expect((await codeOf(session.run('y', { x: { data: [1, 1, 1], shape: [1, 3] } }))).code).toBe('FEED_SHAPE_MISMATCH');
    expect((await codeOf(session.run('y', { x: { data: [1, 1], shape: [2] } }))).code).toBe('FEED_SHAPE_MISMATCH');
    expect((await codeOf(session.run('y', { x: { data: [1, 1, 1], shape: [1, 2] } }))).code).toBe('FEED_SHAPE_MISMATCH');
    const t = tf.zeros([1, 1, 2]);
    expect((await codeOf(session.run('y', { x: t }))).code).toBe('FEED_SHAPE_MISMATCH');
    t.dispose();
    const five = await session.run('y', { x: { data: new Array(10).fill(0), shape: [5, 2] } });
    expect(five.shape).toEqual([5, 3]);
  });

  test('FEED_DTYPE_MISMATCH for tensors and explicit dtypes; raw data is converted', async () => {
    const t = tf.tensor2d([[1, 1]], [1, 2], 'int32');
    const e = await codeOf(session.run('y', { x: t }));
    expect(e.code).toBe('FEED_DTYPE_MISMATCH');
    expect(e.message).toMatch(/DT_FLOAT/);
    t.dispose();
    expect((await codeOf(session.run('y', { x: { ...x, dtype: 'int32' } }))).code).toBe('FEED_DTYPE_MISMATCH');
    const y = await session.run('y', { x: { data: Int32Array.from([1, 1]), shape: [1, 2] } });
    expect(Array.from(y.data as Float32Array)).toEqual([5.5, 0, 10]);
  });

  test('FETCH_UNKNOWN for unknown nodes, bad names and missing output indices', async () => {
    expect((await codeOf(session.run('nope', { x }))).code).toBe('FETCH_UNKNOWN');
    expect((await codeOf(session.run(['y', '^y'], { x }))).code).toBe('FETCH_UNKNOWN');
    expect((await codeOf(session.run([], { x }))).code).toBe('FETCH_UNKNOWN');
    const before = tf.memory().numTensors;
    expect((await codeOf(session.run(['y', 'mm:3'], { x }))).code).toBe('FETCH_UNKNOWN');
    expect(tf.memory().numTensors).toBe(before);
  });

  test('EXECUTION_FAILED wraps tfjs errors', async () => {
    const g = new Graph();
    placeholder(g, 'a', [-1]);
    constant(g, 'shape', int32Tensor([2], [3, 3]));
    g.addNode({ name: 'r', op: 'Reshape', inputs: ['a', 'shape'], attr: { T: attr.type(DataType.DT_FLOAT) } });
    const s = await Session.create(g, { backend: 'cpu' });
    const before = tf.memory().numTensors;
    const e = await codeOf(s.run('r', { a: { data: [1, 2, 3, 4], shape: [4] } }));
    expect(e.code).toBe('EXECUTION_FAILED');
    expect(e.message).toMatch(/TensorFlow\.js failed to run the graph at node r \(Reshape\): Size\(4\)/);
    expect(e.node).toBe('r');
    expect(tf.memory().numTensors).toBe(before);
    s.dispose();
  });

  test('UNSUPPORTED_OP at create lists every node, grouped by op', async () => {
    const g = matMulGraph();
    g.addNode({ name: 'q1', op: 'AscendQuantX', inputs: ['y'] });
    g.addNode({ name: 'q2', op: 'AscendQuantX', inputs: ['q1'] });
    g.addNode({ name: 'z', op: 'FancyOp', inputs: ['q2'] });
    const e = await codeOf(Session.create(g, { backend: 'cpu' }));
    expect(e.code).toBe('UNSUPPORTED_OP');
    expect(e.message).toMatch(/3 nodes/);
    expect(e.message).toMatch(/AscendQuantX \(2 nodes: q1, q2\)/);
    expect(e.message).toMatch(/FancyOp \(1 node: z\)/);
    expect((e as unknown as { unsupported: Map<string, string[]> }).unsupported.get('AscendQuantX')).toEqual(['q1', 'q2']);
  });

  test('UNSUPPORTED_OP also covers nodes inside the function library', async () => {
    const g = matMulGraph();
    g.meta.library = { json: { function: [{ signature: { name: 'body' }, nodeDef: [{ name: 'n1', op: 'Relu' }, { name: 'n2', op: 'WeirdOp' }] }] } };
    const e = await codeOf(Session.create(g, { backend: 'cpu' }));
    expect(e.code).toBe('UNSUPPORTED_OP');
    expect(e.message).toMatch(/WeirdOp \(1 node: body\/n2\)/);
  });

  test('SESSION_DISPOSED after dispose; dispose frees the weights; non-graphs are refused', async () => {
    const before = tf.memory().numTensors;
    const s = await Session.create(matMulGraph(), { backend: 'cpu' });
    expect(tf.memory().numTensors).toBe(before + 2);
    s.dispose();
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect((await codeOf(s.run('y', { x }))).code).toBe('SESSION_DISPOSED');
    expect((await codeOf(Session.create({} as Graph))).code).toBe('INVALID_ARGUMENT');
  });

  test('dispose during a run lets the run finish, then frees', async () => {
    const before = tf.memory().numTensors;
    const s = await Session.create(matMulGraph(), { backend: 'cpu' });
    const running = s.run('y', { x });
    s.dispose();
    expect((await running).shape).toEqual([1, 3]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a fed intermediate tensor cuts the graph: no placeholder needed', async () => {
    const out = await session.run('y', { mm: { data: [1, -1, 2], shape: [1, 3] } });
    expect(Array.from(out.data as Float32Array)).toEqual([1.5, 0, 3]);
  });
});
