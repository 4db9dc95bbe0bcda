/**
 * The Ascend op kernels against values worked out by hand and against the scalar
 * references of src/quant on random data (small tensors: Math.* is slow under jest).
 */
import { SessionError } from '../../src/errors';
import { attr, DataType, Graph, makeTensor } from '../../src/ir';
import type { AttrValue } from '../../src/ir';
import { ascendAntiQuant, ascendDequant, ascendQuant, ascendWeightQuant, packDeqScale } from '../../src/quant';
import { BackendName, registeredKernelOps, Session } from '../../src/runtime';
import { rng, uniform } from '../helpers/graph-builders';
import { constant, placeholder } from './tiny-graphs';

const F = attr.type(DataType.DT_FLOAT);

async function run(g: Graph, fetch: string, feeds: Record<string, { data: Float32Array; shape: number[] }> = {}, backend: BackendName = 'cpu'): Promise<number[]> {
  const s = await Session.create(g, { backend });
  try {
    const out = await s.run(fetch, feeds);
    // −0 (a negative value rounded to zero) equals 0; toEqual would tell them apart.
    return Array.from(out.data as Float32Array, (v) => v + 0);
  } finally {
    s.dispose();
  }
}

function quantGraph(shape: number[], scale: number, offset: number, bits = 8): Graph {
  const g = new Graph();
  placeholder(g, 'x', shape);
  g.addNode({ name: 'q', op: 'AscendQuant', inputs: ['x'], attr: { T: F, quant_bits: attr.int(bits), scale: attr.float(scale), offset: attr.float(offset), dst_type: attr.str('INT8') } });
  return g;
}

function dequantGraph(shape: number[], deq: BigUint64Array, extra: Record<string, AttrValue> = {}): Graph {
  const g = new Graph();
  placeholder(g, 'x', shape);
  constant(g, 'deq', makeTensor(DataType.DT_UINT64, [deq.length], deq));
  g.addNode({ name: 'd', op: 'AscendDequant', inputs: ['x', 'deq'], attr: { T: F, ksize: attr.ints([1, 1]), data_format: attr.str('NHWC'), ...extra } });
  return g;
}

const f32 = (v: number[]) => Float32Array.from(v);
const feed = (data: number[] | Float32Array, shape: number[]) => ({ x: { data: Float32Array.from(data), shape } });

test('the package root registers the four Ascend kernels', async () => {
  await import('../../src');
  expect(registeredKernelOps()).toEqual(expect.arrayContaining(['AscendQuant', 'AscendWeightQuant', 'AscendDequant', 'AscendAntiQuant']));
});

describe('AscendQuant', () => {
  test('by hand: asymmetric and symmetric, half away from zero', async () => {
    // scale 2, offset −128: x·2 = 0, .5, .52, 127.8, 128, 400, −2 → round 0,1,1,128,128,400,−2
    // → +offset −128,−127,−127,0,0,272,−130 → clamp → −128,−127,−127,0,0,127,−128 → −offset
    const x = [0, 0.25, 0.26, 63.9, 64, 200, -1];
    expect(await run(quantGraph([7], 2, -128), 'q', feed(x, [7]))).toEqual([0, 1, 1, 128, 128, 255, 0]);
    // symmetric: ±2.5 → ±3 (not to even), 0.49999997 → 0 (floor(x + 0.5) would give 1), 300 → 127, −300 → −128
    expect(await run(quantGraph([6], 2, 0), 'q', feed([-1.25, 1.25, 0.24999999, 150, -150, -0.2], [6]))).toEqual([-3, 3, 0, 127, -128, 0]);
    expect(await run(quantGraph([2], 1, 0), 'q', feed([0.49999997, -0.49999997], [2]))).toEqual([0, 0]);
  });

  test('quant_bits narrows the range', async () => {
    expect(await run(quantGraph([3], 1, 0, 4), 'q', feed([9, -9, 3.5], [3]))).toEqual([7, -8, 4]);
  });

  test('matches ascendQuant on random data', async () => {
    const random = rng(7);
    for (const [scale, offset] of [[1 / 0.0235294122, -128], [37.5, 0], [3.3, 17]]) {
      const x = uniform(random, 2 * 3 * 4 * 5, -8, 8);
      const got = await run(quantGraph([2, 3, 4, 5], scale, offset), 'q', feed(x, [2, 3, 4, 5]));
      expect(got).toEqual(Array.from(ascendQuant(x, scale, offset)));
    }
  });

  test('rejects an impossible quant_bits', async () => {
    await expect(run(quantGraph([1], 1, 0, 40), 'q', feed([1], [1]))).rejects.toThrow(/quant_bits = 40/);
  });
});

describe('AscendWeightQuant', () => {
  function weightGraph(w: Int8Array, wShape: number[], off: Int8Array, offShape: number[]): Graph {
    const g = new Graph();
    constant(g, 'w', makeTensor(DataType.DT_INT8, wShape, w));
    constant(g, 'off', makeTensor(DataType.DT_INT8, offShape, off));
    g.addNode({ name: 'wq', op: 'AscendWeightQuant', inputs: ['w', 'off'], attr: { T: F, dst_type: attr.str('INT8') } });
    return g;
  }

  test('by hand: int8 constants in, float out, offset per output channel', async () => {
    const w = Int8Array.from([-128, -1, 0, 1, 127, 5]);
    const g = weightGraph(w, [1, 1, 2, 3], Int8Array.from([0, 1, -2]), [1, 1, 1, 3]);
    expect(await run(g, 'wq')).toEqual([-128, -2, 2, 1, 126, 7]);
    expect(await run(weightGraph(w, [1, 1, 2, 3], Int8Array.from([0]), [1]), 'wq')).toEqual([-128, -1, 0, 1, 127, 5]);
  });

  test('matches ascendWeightQuant for HWIO and HWOI (offset on axis 2) layouts', async () => {
    const random = rng(3);
    const w = Int8Array.from(uniform(random, 2 * 2 * 3 * 4, -128, 127), Math.round);
    const offLast = Int8Array.from([1, -1, 2, 0]);
    expect(await run(weightGraph(w, [2, 2, 3, 4], offLast, [1, 1, 1, 4]), 'wq')).toEqual(Array.from(ascendWeightQuant(w, offLast, [2, 2, 3, 4], 3)));
    const offAxis2 = Int8Array.from([3, -3, 7]);
    expect(await run(weightGraph(w, [2, 2, 3, 4], offAxis2, [1, 1, 3, 1]), 'wq')).toEqual(Array.from(ascendWeightQuant(w, offAxis2, [2, 2, 3, 4], 2)));
  });
});

describe('AscendAntiQuant', () => {
  test('y = x·scale, by hand and against the reference', async () => {
    const g = new Graph();
    placeholder(g, 'x', [-1]);
    g.addNode({ name: 'a', op: 'AscendAntiQuant', inputs: ['x'], attr: { T: F, scale: attr.float(0.5), offset: attr.float(-128) } });
    expect(await run(g, 'a', feed([1, -3, 255], [3]))).toEqual([0.5, -1.5, 127.5]);
    const g2 = new Graph();
    placeholder(g2, 'x', [-1]);
    g2.addNode({ name: 'a', op: 'AscendAntiQuant', inputs: ['x'], attr: { T: F, scale: attr.float(0.0235294122), offset: attr.float(0) } });
    const x = Float32Array.from(uniform(rng(5), 50, -128, 127), Math.round);
    expect(await run(g2, 'a', feed(x, [50]))).toEqual(Array.from(ascendAntiQuant(x, 0.0235294122)));
  });
});

describe('AscendDequant', () => {
  test('by hand: per tensor, per channel NHWC and NCHW', async () => {
    const one = packDeqScale(0.5, f32([0.25])); // d = 0.125
    expect(await run(dequantGraph([3], one), 'd', feed([8, -3, 1000], [3]))).toEqual([1, -0.375, 125]);
    const two = packDeqScale(0.5, f32([0.25, 4])); // d = 0.125, 2
    expect(await run(dequantGraph([1, 1, 2, 2], two), 'd', feed([8, 3, -8, -3], [1, 1, 2, 2]))).toEqual([1, 6, -1, -6]);
    const nchw = dequantGraph([1, 2, 1, 2], two, { data_format: attr.str('NCHW') });
    expect(await run(nchw, 'd', feed([8, 3, -8, -3], [1, 2, 1, 2]))).toEqual([1, 0.375, -16, -6]);
    // MatMul output [N, C]: channels last
    expect(await run(dequantGraph([2, 2], two), 'd', feed([8, 8, -8, 1], [2, 2]))).toEqual([1, 16, -1, 2]);
  });

  test('by hand: shift_n > 0 floors and clamps to int16, mixed per channel', async () => {
    const shifted = packDeqScale(0.5, f32([0.25]), 2); // d = 0.125, N = 2
    // v/4 = 1.75 → 1, −1.75 → −2, 50000 → 32767; y = v·0.125·4
    expect(await run(dequantGraph([3], shifted), 'd', feed([7, -7, 200000], [3]))).toEqual([0.5, -1, 16383.5]);
    const mixed = packDeqScale(0.5, f32([0.25, 0.25]), [0, 2]);
    expect(await run(dequantGraph([2, 2], mixed), 'd', feed([7, 7, 200000, 200000], [2, 2]))).toEqual([0.875, 0.5, 25000, 16383.5]);
  });

  test('by hand: ksize of an AvgPool', async () => {
    const avg = packDeqScale(0.5, f32([1])); // d = 0.5, k = 4
    const g = dequantGraph([1, 1, 1, 2], avg, { ksize: attr.ints([2, 2]) });
    expect(await run(g, 'd', feed([2.25, -0.5], [1, 1, 1, 2]))).toEqual([1.125, -0.25]);
    // N = 1: v = 9 → 4, −2 → −1; y = v·0.5·2/4
    const g1 = dequantGraph([1, 1, 1, 2], packDeqScale(0.5, f32([1]), 1), { ksize: attr.ints([2, 2]) });
    expect(await run(g1, 'd', feed([2.25, -0.5], [1, 1, 1, 2]))).toEqual([1, -0.25]);
  });

  const cases: { name: string; shape: number[]; axis: number; format: string; ksize: number[]; shifts: number[] | number }[] = [
    { name: 'NHWC per channel, N = 0', shape: [2, 3, 3, 4], axis: 3, format: 'NHWC', ksize: [1, 1], shifts: 0 },
    { name: 'NHWC per channel, N mixed', shape: [2, 3, 3, 4], axis: 3, format: 'NHWC', ksize: [1, 1], shifts: [0, 1, 3, 8] },
    { name: 'NCHW per channel, N > 0', shape: [2, 4, 3, 3], axis: 1, format: 'NCHW', ksize: [1, 1], shifts: [2, 2, 5, 1] },
    { name: 'AvgPool 3x3, per tensor, N = 2', shape: [1, 2, 2, 4], axis: 3, format: 'NHWC', ksize: [3, 3], shifts: 2 },
    { name: 'AvgPool 2x2 NCHW, per channel', shape: [1, 4, 2, 2], axis: 1, format: 'NCHW', ksize: [2, 2], shifts: 0 },
  ];

  test.each(cases)('matches ascendDequant on random data: $name', async ({ shape, axis, format, ksize, shifts }) => {
    const random = rng(11);
    const perTensor = typeof shifts === 'number' && ksize[0] > 1;
    const channels = perTensor ? 1 : shape[axis];
    const deq = packDeqScale(0.02, uniform(random, channels, 1e-3, 1e-2), typeof shifts === 'number' ? shifts : Int32Array.from(shifts));
    const n = shape.reduce((a, b) => a * b, 1);
    const x = Float32Array.from(uniform(random, n, -40000, 40000), Math.round);
    const g = dequantGraph(shape, deq, { ksize: attr.ints(ksize), data_format: attr.str(format) });
    const got = await run(g, 'd', feed(x, shape));
    expect(got).toEqual(Array.from(ascendDequant(x, deq, shape, { ksize, channelAxis: channels === 1 ? undefined : axis })));
  });

  test('wasm agrees with the reference', async () => {
    const random = rng(12);
    const deq = packDeqScale(0.02, uniform(random, 4, 1e-3, 1e-2), [0, 1, 2, 3]);
    const x = Float32Array.from(uniform(random, 36, -40000, 40000), Math.round);
    const got = await run(dequantGraph([1, 3, 3, 4], deq), 'd', feed(x, [1, 3, 3, 4]), 'wasm');
    const want = ascendDequant(x, deq, [1, 3, 3, 4]);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    const q = await run(quantGraph([36], 0.01, -5), 'q', feed(x, [36]), 'wasm');
    expect(q).toEqual(Array.from(ascendQuant(x, 0.01, -5)));
  });

  test('a deq_scale that does not fit the channels is a typed error naming the node', async () => {
    const g = dequantGraph([1, 1, 1, 3], packDeqScale(0.5, f32([1, 2])));
    const err = await run(g, 'd', feed([1, 2, 3], [1, 1, 1, 3])).catch((e) => e);
    expect(err).toBeInstanceOf(SessionError);
    expect(err.node).toBe('d');
    expect(err.message).toMatch(/deq_scale has 2 values but the input has 3 channels/);
  });

  test('a float deq_scale (not uint64) is refused', async () => {
    const g = new Graph();
    placeholder(g, 'x', [2]);
    constant(g, 'deq', makeTensor(DataType.DT_FLOAT, [2], f32([1, 2])));
    g.addNode({ name: 'd', op: 'AscendDequant', inputs: ['x', 'deq'], attr: { T: F, ksize: attr.ints([1, 1]), data_format: attr.str('NHWC') } });
    await expect(run(g, 'd', feed([1, 2], [2]))).rejects.toThrow(/DT_UINT64/);
  });
});
