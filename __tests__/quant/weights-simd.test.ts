/**
 * quantizeWeights on WebAssembly SIMD (src/quant/weights-simd*.ts) against the JavaScript
 * loop it replaces (quantizeWeightsLoop), int8 for int8: rounding ties and their float32
 * neighbours, the clamp edges for every bit width, NaN/Inf/±0, extreme weights and
 * scales, every channel layout (per tensor, inner = 1 with channel counts that are not
 * multiples of 4, inner > 1), lengths beyond one chunk, and seeded real-looking weights.
 * The SIMD path is called directly, so a module that stopped compiling fails here instead
 * of falling back to the loop unnoticed.
 */
import { channelLayout, channelOf } from '../../src/quant/channels';
import { float32Bits, float32FromBits, intRange } from '../../src/quant/round';
import { quantizeWeights, quantizeWeightsLoop } from '../../src/quant/weights';
import * as weightsSimd from '../../src/quant/weights-simd';
import { CHUNK, quantizeWeightsSimd, weightsSimdAvailable } from '../../src/quant/weights-simd';
import * as host from '../../src/wasm/host';
import { rng } from '../helpers/random';

/** The float32 next to x, toward +∞ (up) or −∞. */
function float32Step(x: number, up: boolean): number {
  if (x === 0) return up ? 2 ** -149 : -(2 ** -149);
  return float32FromBits(float32Bits(x) + ((x > 0) === up ? 1 : -1));
}

const withNeighbours = (xs: number[]) => xs.flatMap((x) => [float32Step(x, false), x, float32Step(x, true)]);

/** Float32 values from their bits: NaN payloads survive (a JavaScript NaN written to a Float32Array may not). */
const fromBits = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer);

/** quantizeWeights' SIMD path, the loop and quantizeWeights itself give the same int8 for every element. */
function expectSamePaths(w: Float32Array, shape: number[], scaleW: Float32Array, axis: number | undefined, numBits = 8): void {
  const perTensor = scaleW.length === 1;
  const { channels, inner } = channelLayout(shape, perTensor ? undefined : axis, 'weight');
  const { qmin, qmax } = intRange(numBits);
  const loop = quantizeWeightsLoop(w, scaleW, channels, inner, qmin, qmax);
  const simd = quantizeWeightsSimd(w, scaleW, channels, inner, qmin, qmax);
  expect(simd).toBeInstanceOf(Int8Array);
  const scale = (j: number) => scaleW[channelOf(j, inner, channels)];
  const difference = (q: Int8Array, path: string) => {
    const i = q.findIndex((x, j) => x !== loop[j]);
    return i < 0 && q.length === w.length ? 'none' : `element ${i} of [${shape}]: w = ${w[i]}, scale = ${scale(i)}, numBits ${numBits}: ${path} ${q[i]}, loop ${loop[i]}`;
  };
  expect(difference(simd!, 'SIMD')).toBe('none');
  expect(difference(quantizeWeights(w, shape, scaleW, axis, numBits), 'quantizeWeights')).toBe('none');
}

test('the SIMD module compiles and links on this Node, and quantizeWeights uses it', () => {
  expect(weightsSimdAvailable()).toBe(true);
  const spy = jest.spyOn(weightsSimd, 'quantizeWeightsSimd');
  try {
    quantizeWeights(Float32Array.from([0.5, -1, 2, 7]), [2, 2], Float32Array.from([1, 0.5]), 1);
    quantizeWeights(new Float32Array(8), [2, 4], Float32Array.from([1, 2]), 0);
    expect(spy.mock.results.map((r) => r.value instanceof Int8Array)).toEqual([true, true]);
  } finally {
    spy.mockRestore();
  }
});

describe('rounding ties, their float32 neighbours and the clamp edges', () => {
  // Quotients k, k + 0.5 for k in −131…130 (covering qmin − 0.5 and qmax + 0.5 of every bit
  // width), ties far beyond the clamps, and the float32 just below 0.5; each with its neighbours.
  const ties = Array.from({ length: 262 }, (_, i) => i - 131).flatMap((k) => [k, k + 0.5]);
  const far = [1000.5, -1000.5, 2 ** 22 + 0.5, -(2 ** 22) - 0.5, 2 ** 23, 1e30, -1e30];
  const quotients = withNeighbours([...ties, ...far, 0.5 - 2 ** -25, -(0.5 - 2 ** -25), 2 ** -149]);

  test.each([2, 3, 4, 5, 6, 7, 8])('numBits %i, scales powers of two (exact quotients) and not', (numBits) => {
    for (const s of [2 ** -30, 2 ** -7, 1, 32]) {
      expectSamePaths(Float32Array.from(quotients, (t) => t * s), [quotients.length], Float32Array.from([s]), undefined, numBits);
    }
    // Scales that are not powers of two: weights next to t·s, so quotients land next to the ties.
    for (const s of [0.1, 3.3e-3, 0.7, 1.7e-5]) {
      const w = Float32Array.from(withNeighbours(quotients.map((t) => Math.fround(t * s))));
      expectSamePaths(w, [w.length], Float32Array.from([s]), undefined, numBits);
    }
  });
});

test('±0, NaN payloads, ±Inf, huge and subnormal weights and scales, per tensor and per channel', () => {
  const special = fromBits([0x00000000, 0x80000000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xff812345, 0x7f800000, 0xff800000, 0x00000001, 0x80000001, 0x007fffff, 0x00800000]);
  const w = Float32Array.from([...special, 3.4e38, -3.4e38, 1e-40, -1e-40, 1, -1, 127.5, -128.5, 0.49999997, -0.49999997]);
  const scales = Float32Array.from([2 ** -149, 1e-40, 1.1754944e-38, 1e-10, 0.37, 1, 3.4e38]);
  for (const s of scales) expectSamePaths(w, [w.length], Float32Array.from([s]), undefined);
  // Every weight against every scale: rows of `scales.length` channels.
  const rows = Float32Array.from({ length: w.length * scales.length }, (_, i) => w[Math.floor(i / scales.length)]);
  expectSamePaths(rows, [w.length, scales.length], scales, 1);
  // The same with inner = 4 and 5 (blocks): each channel's block holds the weights.
  for (const inner of [4, 5]) {
    const blocks = Float32Array.from({ length: scales.length * inner * 4 }, (_, i) => w[i % w.length]);
    expectSamePaths(blocks, [4, scales.length, inner], scales, 1);
  }
});

/** Seeded weights like a trained layer's (roughly normal, a few outliers) and ARQ-like scales (max |w| / 127 per channel). */
function layer(shape: number[], axis: number | undefined, seed: number): { w: Float32Array; scaleW: Float32Array } {
  const random = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const w = Float32Array.from({ length: n }, () => {
    const normal = random() + random() + random() - 1.5;
    return random() < 0.01 ? normal * 2 : normal * 0.1;
  });
  const { channels, inner } = channelLayout(shape, axis);
  const max = new Float32Array(channels).fill(1e-6);
  w.forEach((x, i) => {
    const c = channelOf(i, inner, channels);
    max[c] = Math.max(max[c], Math.abs(x));
  });
  // Some channels scaled tighter than their max, so their largest weights clamp.
  return { w, scaleW: max.map((m, c) => (c % 3 === 1 ? m / 100 : m / 127)) };
}

describe('every channel layout', () => {
  test.each([1, 2, 3, 4, 5, 7, 8, 16, 33])('channels on the last axis (inner = 1): %i channels', (channels) => {
    for (const shape of [[1, channels], [3, channels], [7, channels], [3, 3, 5, channels], [64, channels]]) {
      const { w, scaleW } = layer(shape, shape.length - 1, channels * 100 + shape[0]);
      expectSamePaths(w, shape, scaleW, shape.length - 1);
      expectSamePaths(w, shape, scaleW, shape.length - 1, 4);
    }
  });

  test.each([2, 3, 4, 5, 9])('inner = %i (channels before the last axis)', (inner) => {
    for (const [outer, channels] of [[1, 3], [2, 5], [7, 1], [3, 16]]) {
      const shape = [outer, channels, inner];
      const { w, scaleW } = layer(shape, 1, inner * 1000 + outer);
      expectSamePaths(w, shape, scaleW, 1);
      expectSamePaths(w, shape, scaleW, 1, 3);
    }
  });

  test('per tensor, odd lengths from 1 to 37 and one chunk ± 1', () => {
    for (const n of [1, 2, 3, 5, 7, 15, 16, 17, 31, 37, CHUNK - 1, CHUNK + 1]) {
      const { w, scaleW } = layer([n], undefined, n);
      expectSamePaths(w, [n], scaleW, undefined);
    }
  });

  test('empty weights', () => {
    expectSamePaths(new Float32Array(0), [0], Float32Array.from([0.5]), undefined);
    expectSamePaths(new Float32Array(0), [0, 4], Float32Array.from([1, 2, 3, 4]), 1);
    expectSamePaths(new Float32Array(0), [3, 0, 2], Float32Array.from([1, 2]), 2);
    expectSamePaths(new Float32Array(0), [0, 5, 4], Float32Array.from([1, 2, 3, 4, 5]), 1);
  });
});

test('weights beyond one chunk: the scale tile wraps across chunks, blocks span chunks, a block longer than a chunk is cut', () => {
  const cases: [number[], number | undefined][] = [
    [[2 * CHUNK + 7], undefined], // per tensor, three chunks
    [[CHUNK / 16 + 1, 33], 1], // inner = 1: 33 channels, the tile (16 periods) restarts mid-chunk
    [[CHUNK / 2 + 3, 3], 1],
    [[3000, 5, 9], 1], // inner = 9: 15,000 blocks over three chunks
    [[2, CHUNK + 3], 0], // inner = CHUNK + 3: each block in two pieces
    [[3, 2 * CHUNK + 5, 1], 1], // inner = 1 of a middle axis
  ];
  for (const [shape, axis] of cases) {
    const { w, scaleW } = layer(shape, axis, shape[0]);
    expectSamePaths(w, shape, scaleW, axis);
  }
});

test.each([8, 4, 2])('seeded real-looking layers at numBits %i: HWIO conv, depthwise HWC1, MatMul, OIHW', (numBits) => {
  const layers: [number[], number | undefined][] = [
    [[3, 3, 32, 64], 3],
    [[3, 3, 96, 1], 2],
    [[1280, 5], 1],
    [[128, 10], 1],
    [[16, 8, 3, 3], 0],
    [[1, 1, 24, 144], undefined],
  ];
  layers.forEach(([shape, axis], i) => {
    const { w, scaleW } = layer(shape, axis, 7 + i);
    expectSamePaths(w, shape, scaleW, axis, numBits);
  });
});

test('when the memory cannot grow to a chunk, quantizeWeightsSimd gives up (tiled and blocks) and quantizeWeights runs the loop', () => {
  const cases: [number[], number | undefined][] = [
    [[3, 3, 8, 16], 3], // tiled (inner = 1)
    [[16, 8, 3, 3], 0], // blocks (inner = 72)
    [[300], undefined], // per tensor
  ];
  const grow = jest.spyOn(host, 'reserveBytes').mockReturnValue(false);
  try {
    for (const [shape, axis] of cases) {
      const { w, scaleW } = layer(shape, axis, shape[0]);
      const { channels, inner } = channelLayout(shape, axis, 'weight');
      const loop = quantizeWeightsLoop(w, scaleW, channels, inner, -128, 127);
      expect(quantizeWeightsSimd(w, scaleW, channels, inner, -128, 127)).toBeUndefined();
      expect(Array.from(quantizeWeights(w, shape, scaleW, axis))).toEqual(Array.from(loop));
    }
    expect(grow).toHaveBeenCalled();
  } finally {
    grow.mockRestore();
  }
});

test('without WebAssembly the loop runs, with the same results', () => {
  const global = globalThis as { WebAssembly?: unknown };
  const saved = global.WebAssembly;
  global.WebAssembly = undefined;
  try {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const fresh = require('../../src/quant/weights-simd') as typeof weightsSimd;
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { quantizeWeights: quantize } = require('../../src/quant/weights') as typeof import('../../src/quant/weights');
      expect(fresh.weightsSimdAvailable()).toBe(false);
      expect(fresh.quantizeWeightsSimd(Float32Array.from([1]), Float32Array.from([1]), 1, 1, -128, 127)).toBeUndefined();
      // The case of weights.test.ts: scale 0.5, w/s = 0.5, −0.5, 1.48, 128, −129, −127.5
      expect(Array.from(quantize(Float32Array.from([0.25, -0.25, 0.74, 64, -64.5, -63.75]), [6], Float32Array.from([0.5]), undefined))).toEqual([1, -1, 1, 127, -128, -128]);
    });
  } finally {
    global.WebAssembly = saved;
  }
  expect(weightsSimdAvailable()).toBe(true);
});
