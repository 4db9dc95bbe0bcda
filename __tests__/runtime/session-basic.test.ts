import * as tf from '@tensorflow/tfjs-core';
import { Session, FetchedTensor } from '../../src/runtime';
import { convGraph, IMG_1_TO_9, matMulGraph } from './tiny-graphs';

const close = (a: ArrayLike<number>, b: number[], tol = 1e-6) => {
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => expect(Math.abs(a[i] - v)).toBeLessThanOrEqual(tol));
};

describe('Session on tiny graphs (cpu)', () => {
  let session: Session;
  beforeAll(async () => {
    session = await Session.create(matMulGraph(), { backend: 'cpu' });
  });
  afterAll(() => session.dispose());

  test('MatMul + BiasAdd + Relu match hand-computed numbers', async () => {
    const y = await session.run('y', { x: { data: [1, 1, 2, -1], shape: [2, 2] } });
    // row 2: [2,-1]·W = [2-4, 4-5, 6-6] = [-2,-1,0]; +b = [-1.5,-101,1]; relu = [0,0,1]
    expect(y.shape).toEqual([2, 3]);
    expect(y.dtype).toBe('float32');
    expect(y.data).toBeInstanceOf(Float32Array);
    close(y.data as Float32Array, [5.5, 0, 10, 0, 0, 1]);
  });

  test('array fetches return an array in order; intermediates, node:index and duplicates', async () => {
    const out = await session.run(['mm:0', 'add', 'y', 'mm'], { 'x:0': { data: Float32Array.from([1, 1]), shape: [1, 2] } });
    expect(out.map((o: FetchedTensor) => o.name)).toEqual(['mm:0', 'add', 'y', 'mm']);
    close(out[0].data as Float32Array, [5, 7, 9]);
    close(out[1].data as Float32Array, [5.5, -93, 10]);
    close(out[2].data as Float32Array, [5.5, 0, 10]);
    close(out[3].data as Float32Array, [5, 7, 9]);
  });

  test('fetching a weight or a feed gives values and leaves both intact', async () => {
    const x = tf.tensor2d([[1, 1]]);
    const [w, xOut, y] = await session.run(['W', 'x', 'y'], { x });
    close(w.data as Float32Array, [1, 2, 3, 4, 5, 6]);
    close(xOut.data as Float32Array, [1, 1]);
    expect(x.isDisposed).toBe(false);
    const again = await session.run('y', { x });
    close(again.data as Float32Array, [5.5, 0, 10]);
    close(y.data as Float32Array, [5.5, 0, 10]);
    x.dispose();
  });

  test('no tensor leaks: data results, tensor results once disposed, and failed runs', async () => {
    const baseline = tf.memory().numTensors;
    const x = { data: [1, 1], shape: [1, 2] };
    await session.run(['y', 'mm', 'W'], { x });
    expect(tf.memory().numTensors).toBe(baseline);
    const tensors = await session.run(['y', 'y', 'W'], { x }, { as: 'tensor' });
    expect(tensors).toHaveLength(3);
    expect(tensors[0]).not.toBe(tensors[1]);
    close(tensors[0].dataSync(), [5.5, 0, 10]);
    tf.dispose(tensors);
    expect(tf.memory().numTensors).toBe(baseline);
    await expect(session.run('y', { x: { data: [1, 2, 3], shape: [1, 3] } })).rejects.toThrow();
    await expect(session.run('y', {})).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  test('a single-name tensor fetch returns one tensor the caller owns', async () => {
    const t = await session.run('y', { x: { data: [1, 1], shape: [1, 2] } }, { as: 'tensor' });
    expect(t).toBeInstanceOf(tf.Tensor);
    expect(t.shape).toEqual([1, 3]);
    t.dispose();
  });
});

describe('Conv2D', () => {
  test.each(['cpu', 'wasm'] as const)('VALID 2x2 conv on %s', async (backend) => {
    const session = await Session.create(convGraph(), { backend });
    const out = await session.run('conv', { img: IMG_1_TO_9 });
    expect(out.shape).toEqual([1, 2, 2, 1]);
    close(out.data as Float32Array, [37, 47, 67, 77], 1e-5);
    session.dispose();
  });

  test('later edits to the caller\'s graph do not reach a session', async () => {
    const g = convGraph([1, 0, 0, -1]);
    const session = await Session.create(g, { backend: 'cpu' });
    g.removeNode('conv');
    const out = await session.run('conv', { img: IMG_1_TO_9 });
    close(out.data as Float32Array, [-4, -4, -4, -4]);
    session.dispose();
  });
});
