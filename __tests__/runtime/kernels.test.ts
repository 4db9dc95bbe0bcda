import * as tf from '@tensorflow/tfjs-core';
import { CalibrationError, SessionError } from '../../src/errors';
import { attr, attrFloat, attrTensor, DataType, Graph, makeTensor, NodeDef } from '../../src/ir';
import { registerKernel, registeredKernelOps, Session } from '../../src/runtime';
import { constant, placeholder } from './tiny-graphs';

const afterRunCalls: string[][] = [];
registerKernel('AmctTestScale', (ctx) => {
  ctx.state.set('calls', ((ctx.state.get('calls') as number) ?? 0) + 1);
  const scaled = tf.mul(ctx.inputs[0], attrFloat(ctx.node, 'scale')); // intermediate: freed by the tidy
  return tf.add(scaled, 0);
}, { afterRun: (_s, nodes) => void afterRunCalls.push(nodes.map((n) => n.name)) });
// Two ops sharing one hook (as QuantIfmr and QuantHfmg share calibration's): it must run once per run, with both ops' nodes.
const sharedHookCalls: string[][] = [];
const sharedHook = (_s: unknown, nodes: NodeDef[]) => void sharedHookCalls.push(nodes.map((n) => n.name).sort());
registerKernel('AmctTestSharedA', (ctx) => tf.add(ctx.inputs[0], 0), { afterRun: sharedHook });
registerKernel('AmctTestSharedB', (ctx) => tf.add(ctx.inputs[0], 0), { afterRun: sharedHook });
registerKernel('AmctTestTap', (ctx) => {
  ctx.state.set('seen', { dtype: ctx.inputs[0].dtype, shape: ctx.inputs[0].shape, values: Array.from(ctx.inputs[0].dataSync()) });
  return ctx.inputs[0];
});
registerKernel('AmctTestAsync', async (ctx) => {
  const values = await ctx.inputs[0].data();
  return tf.tensor(Array.from(values, (v) => v + 1), ctx.inputs[0].shape);
}, { async: true });
registerKernel('AmctTestSneakyPromise', async (ctx) => ctx.inputs[0]);
registerKernel('AmctTestThrows', (ctx) => {
  if (attrFloat(ctx.node, 'amct', 0) === 1) throw new CalibrationError('CALIBRATION_DATA_INVALID', 'NaN in layer L', { layer: 'L' });
  throw new Error('boom');
});

function chain(op: string, extra: NodeDef['attr'] = {}): Graph {
  const g = new Graph();
  placeholder(g, 'x', [-1]);
  g.addNode({ name: 'k', op, inputs: ['x'], attr: { scale: attr.float(2), ...extra } });
  g.addNode({ name: 'y', op: 'Relu', inputs: ['k'] });
  return g;
}

const x = { data: [1, -2, 3], shape: [3] };

describe('custom kernels', () => {
  test('a registered op runs with its node attrs; state is per session and per node', async () => {
    const a = await Session.create(chain('AmctTestScale'), { backend: 'cpu' });
    const b = await Session.create(chain('AmctTestScale'), { backend: 'cpu' });
    const base = tf.memory().numTensors;
    const y = await a.run('y', { x });
    expect(Array.from(y.data as Float32Array)).toEqual([2, 0, 6]);
    await a.run('y', { x });
    await b.run('k', { x });
    expect(tf.memory().numTensors).toBe(base);
    expect(a.nodeState('k')!.get('calls')).toBe(2);
    expect(b.nodeState('k')!.get('calls')).toBe(1);
    expect(a.nodeState('y')).toBeUndefined();
    expect(afterRunCalls).toEqual([['k'], ['k'], ['k']]);
    a.dispose();
    b.dispose();
    expect(registeredKernelOps()).toContain('AmctTestScale');
  });

  test('a hook two ops share runs once per run, with the nodes of both', async () => {
    const g = new Graph();
    placeholder(g, 'x', [-1]);
    g.addNode({ name: 'a', op: 'AmctTestSharedA', inputs: ['x'] });
    g.addNode({ name: 'b', op: 'AmctTestSharedB', inputs: ['a'] });
    const s = await Session.create(g, { backend: 'cpu' });
    try {
      await s.run('b', { x });
      await s.run('b', { x });
    } finally {
      s.dispose();
    }
    expect(sharedHookCalls).toEqual([['a', 'b'], ['a', 'b']]);
  });

  test('pass-through kernels on feeds, on weights and in series neither leak nor double-free', async () => {
    const g = new Graph();
    placeholder(g, 'x', [-1]);
    constant(g, 'w', makeTensor(DataType.DT_FLOAT, [2], Float32Array.from([7, 8])));
    g.addNode({ name: 't1', op: 'AmctTestTap', inputs: ['x'] });
    g.addNode({ name: 't2', op: 'AmctTestTap', inputs: ['t1'] });
    g.addNode({ name: 'tw', op: 'AmctTestTap', inputs: ['w'] });
    const s = await Session.create(g, { backend: 'wasm' });
    const feed = tf.tensor1d([1, 2, 3]);
    const base = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const [t2, tw] = await s.run(['t2', 'tw'], { x: feed });
      expect(Array.from(t2.data as Float32Array)).toEqual([1, 2, 3]);
      expect(Array.from(tw.data as Float32Array)).toEqual([7, 8]);
    }
    expect(feed.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(base);
    s.dispose();
    feed.dispose();
  });

  test('async kernels run through executeAsync', async () => {
    const s = await Session.create(chain('AmctTestAsync'), { backend: 'cpu' });
    const base = tf.memory().numTensors;
    const y = await s.run('y', { x });
    expect(Array.from(y.data as Float32Array)).toEqual([2, 0, 4]);
    expect(tf.memory().numTensors).toBe(base);
    s.dispose();
  });

  test('a kernel returning a Promise without { async: true } is a clear error', async () => {
    const s = await Session.create(chain('AmctTestSneakyPromise'), { backend: 'cpu' });
    await expect(s.run('y', { x })).rejects.toThrow(/register AmctTestSneakyPromise with \{ async: true \}/);
    s.dispose();
  });

  test('kernel failures name the node; AmctErrors pass through unchanged', async () => {
    const s = await Session.create(chain('AmctTestThrows'), { backend: 'cpu' });
    const base = tf.memory().numTensors;
    const e = await s.run('y', { x }).catch((err) => err);
    expect(e).toBeInstanceOf(SessionError);
    expect(e.code).toBe('EXECUTION_FAILED');
    expect(e.node).toBe('k');
    expect(e.message).toMatch(/kernel AmctTestThrows failed on node k: boom/);
    expect(tf.memory().numTensors).toBe(base);
    s.dispose();
    const c = await Session.create(chain('AmctTestThrows', { amct: attr.float(1) }), { backend: 'cpu' });
    await expect(c.run('y', { x })).rejects.toBeInstanceOf(CalibrationError);
    c.dispose();
  });

  test('registering twice, or over a tfjs op, throws', () => {
    expect(() => registerKernel('AmctTestScale', (ctx) => ctx.inputs[0])).toThrow(/already registered/);
    expect(() => registerKernel('MatMul', (ctx) => ctx.inputs[0])).toThrow(/run by TensorFlow.js itself/);
    expect(() => registerKernel('bad name', (ctx) => ctx.inputs[0])).toThrow(SessionError);
  });
});

describe('constants tfjs cannot hold', () => {
  function tapGraph(value: ReturnType<typeof makeTensor>): Graph {
    const g = new Graph();
    constant(g, 'c', value);
    g.addNode({ name: 'tap', op: 'AmctTestTap', inputs: ['c'] });
    return g;
  }

  test('DT_INT8 consts reach kernels as int32 with the same values', async () => {
    const s = await Session.create(tapGraph(makeTensor(DataType.DT_INT8, [3], Int8Array.from([-128, 5, 127]))), { backend: 'cpu' });
    await s.run('tap');
    expect(s.nodeState('tap')!.get('seen')).toEqual({ dtype: 'int32', shape: [3], values: [-128, 5, 127] });
    s.dispose();
  });

  test('DT_UINT64 deq_scale is decoded to float32 [..., 3] = (scale, shift_n, offset_w); the original stays in session.graph', async () => {
    const f32 = new DataView(new ArrayBuffer(4));
    f32.setFloat32(0, 0.0235294122);
    const low = BigInt(f32.getUint32(0));
    const packed = BigUint64Array.from([low | (3n << 32n) | (0xffn << 40n), BigInt(0x3f000000)]); // (0.0235.., N=3, offset −1), (0.5, 0, 0)
    const s = await Session.create(tapGraph(makeTensor(DataType.DT_UINT64, [2], packed)), { backend: 'cpu' });
    await s.run('tap');
    const seen = s.nodeState('tap')!.get('seen') as { dtype: string; shape: number[]; values: number[] };
    expect(seen.dtype).toBe('float32');
    expect(seen.shape).toEqual([2, 3]);
    expect(seen.values[0]).toBeCloseTo(0.0235294122, 9);
    expect(seen.values.slice(1)).toEqual([3, -1, 0.5, 0, 0]);
    expect(attrTensor(s.graph.getNode('c')).data).toEqual(packed);
    s.dispose();
  });

  test('the mapConst option replaces constants before the built-in translation', async () => {
    const mapConst = (node: NodeDef) => (node.name === 'c' ? makeTensor(DataType.DT_FLOAT, [1], Float32Array.from([42])) : undefined);
    const s = await Session.create(tapGraph(makeTensor(DataType.DT_INT8, [1], Int8Array.from([1]))), { backend: 'cpu', mapConst });
    await s.run('tap');
    expect(s.nodeState('tap')!.get('seen')).toEqual({ dtype: 'float32', shape: [1], values: [42] });
    s.dispose();
  });
});

describe('re-entrancy', () => {
  test('session.run from inside a kernel fails instead of deadlocking', async () => {
    registerKernel('AmctTestReenter', async (ctx) => {
      await ctx.session.run('x', { x: { data: [1], shape: [1] } });
      return ctx.inputs[0];
    }, { async: true });
    const s = await Session.create(chain('AmctTestReenter'), { backend: 'cpu' });
    await expect(s.run('y', { x })).rejects.toThrow(/from inside a kernel/);
    const ok = await Session.create(chain('AmctTestScale'), { backend: 'cpu' });
    expect((await ok.run('y', { x })).shape).toEqual([3]);
    ok.dispose();
    s.dispose();
  });
});
