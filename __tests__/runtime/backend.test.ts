import * as tf from '@tensorflow/tfjs-core';
import { SessionError } from '../../src/errors';
import { attr, Graph } from '../../src/ir';
import { BACKEND_ENV, registerKernel, Session } from '../../src/runtime';
import { convGraph, IMG_1_TO_9, placeholder } from './tiny-graphs';

/** Records which tfjs backend is active while the node executes. */
registerKernel('AmctTestWhichBackend', (ctx) => {
  ctx.state.set('backends', [...((ctx.state.get('backends') as string[]) ?? []), tf.getBackend()]);
  return tf.mul(ctx.inputs[0], attrScale(ctx.node));
});
const attrScale = (node: { attr: Record<string, unknown> }) => (node.attr.scale as { value: number }).value;

function probeGraph(): Graph {
  const g = new Graph();
  placeholder(g, 'x', [-1]);
  g.addNode({ name: 'k', op: 'AmctTestWhichBackend', inputs: ['x'], attr: { scale: attr.float(3) } });
  return g;
}

const saved = process.env[BACKEND_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[BACKEND_ENV];
  else process.env[BACKEND_ENV] = saved;
});

async function failure(p: Promise<unknown>): Promise<SessionError> {
  const e = await p.then(() => undefined, (err) => err);
  expect(e).toBeInstanceOf(SessionError);
  return e as SessionError;
}

describe('backend selection', () => {
  test('default: tfjs-node is not installed here, so wasm', async () => {
    delete process.env[BACKEND_ENV];
    const s = await Session.create(convGraph());
    expect(s.backend).toBe('wasm');
    s.dispose();
  });

  test.each(['cpu', 'wasm'] as const)('option %s, and the node runs on it', async (backend) => {
    const s = await Session.create(probeGraph(), { backend });
    expect(s.backend).toBe(backend);
    const out = await s.run('k', { x: { data: [1, 2], shape: [2] } });
    expect(Array.from(out.data as Float32Array)).toEqual([3, 6]);
    expect(s.nodeState('k')!.get('backends')).toEqual([backend]);
    s.dispose();
  });

  test('AMCT_BACKEND chooses when no option is given; the option wins over it', async () => {
    process.env[BACKEND_ENV] = 'CPU';
    const fromEnv = await Session.create(convGraph());
    expect(fromEnv.backend).toBe('cpu');
    const fromOption = await Session.create(convGraph(), { backend: 'wasm' });
    expect(fromOption.backend).toBe('wasm');
    fromEnv.dispose();
    fromOption.dispose();
    process.env[BACKEND_ENV] = 'gpu';
    const e = await failure(Session.create(convGraph()));
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(e.message).toMatch(/AMCT_BACKEND/);
    expect(e.hint).toMatch(/tfjs-node, wasm, cpu/);
  });

  test('tfjs-node requested explicitly but not installed: BACKEND_UNAVAILABLE with a hint', async () => {
    const e = await failure(Session.create(convGraph(), { backend: 'tfjs-node' }));
    expect(e.code).toBe('BACKEND_UNAVAILABLE');
    expect(e.message).toMatch(/cannot be imported/);
    expect(e.hint).toMatch(/npm install @tensorflow\/tfjs-node/);
    process.env[BACKEND_ENV] = 'tfjs-node';
    expect((await failure(Session.create(convGraph()))).code).toBe('BACKEND_UNAVAILABLE');
  });

  test('a run leaves the process backend as it found it', async () => {
    await tf.setBackend('cpu');
    const s = await Session.create(convGraph(), { backend: 'wasm' });
    expect(tf.getBackend()).toBe('cpu');
    await s.run('conv', { img: IMG_1_TO_9 });
    expect(tf.getBackend()).toBe('cpu');
    s.dispose();
  });
});

describe('two sessions on different backends in one process', () => {
  test('interleaved and concurrent runs stay on their own backend and give correct results', async () => {
    const onWasm = await Session.create(probeGraph(), { backend: 'wasm' });
    const onCpu = await Session.create(probeGraph(), { backend: 'cpu' });
    const convWasm = await Session.create(convGraph(), { backend: 'wasm' });
    const convCpu = await Session.create(convGraph([1, 0, 0, -1]), { backend: 'cpu' });
    const base = tf.memory().numTensors;
    const runs: Promise<void>[] = [];
    for (let i = 0; i < 12; i++) {
      const s = i % 2 === 0 ? onWasm : onCpu;
      runs.push(s.run('k', { x: { data: [i, -i], shape: [2] } }).then((o) => expect(Array.from(o.data as Float32Array)).toEqual([3 * i, -3 * i])));
      runs.push(convWasm.run('conv', { img: IMG_1_TO_9 }).then((o) => expect(Array.from(o.data as Float32Array)).toEqual([37, 47, 67, 77])));
      runs.push(convCpu.run('conv', { img: IMG_1_TO_9 }).then((o) => expect(Array.from(o.data as Float32Array)).toEqual([-4, -4, -4, -4])));
    }
    await Promise.all(runs);
    expect(onWasm.nodeState('k')!.get('backends')).toEqual(new Array(6).fill('wasm'));
    expect(onCpu.nodeState('k')!.get('backends')).toEqual(new Array(6).fill('cpu'));
    expect(tf.memory().numTensors).toBe(base);
    for (const s of [onWasm, onCpu, convWasm, convCpu]) s.dispose();
  });

  test('a tensor feed made on another backend is accepted and left usable', async () => {
    await tf.setBackend('cpu');
    const feed = tf.tensor4d(IMG_1_TO_9.data, [1, 3, 3, 1]);
    const s = await Session.create(convGraph(), { backend: 'wasm' });
    const out = await s.run('conv', { img: feed });
    expect(Array.from(out.data as Float32Array)).toEqual([37, 47, 67, 77]);
    expect(Array.from(feed.dataSync())).toEqual(Array.from(IMG_1_TO_9.data));
    feed.dispose();
    s.dispose();
  });
});
