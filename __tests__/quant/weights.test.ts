import { quantizeBias, quantizeWeights, roundHalfAwayFromZero } from '../../src/quant';
import { QuantizeError } from '../../src/errors';

describe('roundHalfAwayFromZero', () => {
  test.each([
    [0.5, 1],
    [-0.5, -1],
    [1.5, 2],
    [2.5, 3],
    [-2.5, -3],
    [2.4999, 2],
    [-0.4999, 0],
    [0.49999999999999994, 0], // floor(x + 0.5) would give 1
    [4503599627370497, 4503599627370497], // 2^52 + 1: already an integer
    [3e9 + 0.5, 3e9 + 1], // beyond int32
    [-3e9 - 0.5, -3e9 - 1],
  ])('%p → %p', (x, y) => expect(roundHalfAwayFromZero(x)).toBe(y));
});

describe('quantizeWeights', () => {
  test('per tensor: round half away, clamp to [−128, 127]', () => {
    // scale 0.5: w/s = 0.5, −0.5, 1.48, 128, −129, −127.5 → 1, −1, 1, 127 (clamped), −128 (clamped), −128
    const w = Float32Array.from([0.25, -0.25, 0.74, 64, -64.5, -63.75]);
    expect(Array.from(quantizeWeights(w, [6], Float32Array.from([0.5]), undefined))).toEqual([1, -1, 1, 127, -128, -128]);
  });

  test('per channel along the last axis (HWIO)', () => {
    // shape [2, 2] as I×O, scales per O = [0.5, 0.25]: index i·2 + o
    // (0,0) 1/0.5 = 2; (0,1) 1/0.25 = 4; (1,0) −0.75/0.5 = −1.5 → −2; (1,1) 0.125/0.25 = 0.5 → 1
    const w = Float32Array.from([1, 1, -0.75, 0.125]);
    expect(Array.from(quantizeWeights(w, [2, 2], Float32Array.from([0.5, 0.25]), 1))).toEqual([2, 4, -2, 1]);
  });

  test('per channel along a middle axis (HWCM depthwise, axis 2)', () => {
    // shape [1,1,2,2]: c = floor(i / 2); scales [1, 0.5]: [1, 2 | 1, 2] → [1, 2, 2, 4]
    const w = Float32Array.from([1, 2, 1, 2]);
    expect(Array.from(quantizeWeights(w, [1, 1, 2, 2], Float32Array.from([1, 0.5]), 2))).toEqual([1, 2, 2, 4]);
  });

  test('rejects a scale count that matches nothing, and non-positive scales', () => {
    expect(() => quantizeWeights(new Float32Array(4), [2, 2], Float32Array.from([1, 1, 1]), 1)).toThrow(QuantizeError);
    expect(() => quantizeWeights(new Float32Array(2), [2], Float32Array.from([0]), undefined)).toThrow(/> 0/);
  });

  test.each([
    ['HWIO conv, last-axis channels (tiled kernel)', [3, 3, 8, 6], 3],
    ['OIHW conv, first-axis channels (blocks kernel)', [6, 8, 3, 3], 0],
    ['per tensor', [5, 7, 3], undefined],
    ['HWIO conv past one kernel chunk (65,536 weights)', [3, 3, 128, 64], 3],
    ['OIHW conv past one kernel chunk (65,536 weights)', [64, 128, 3, 3], 0],
  ])('%s: float32 bytes at any alignment give the int8 of the Float32Array', (_, shape, axis) => {
    const n = (shape as number[]).reduce((a, d) => a * d, 1);
    let seed = 7;
    const w = Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 3);
    const channels = axis === undefined ? 1 : (shape as number[])[axis as number];
    const scaleW = Float32Array.from({ length: channels }, (_, c) => 0.004 * (c + 1));
    const expected = quantizeWeights(w, shape as number[], scaleW, axis as number | undefined);
    for (const offset of [0, 1, 2, 3]) {
      const file = new Uint8Array(offset + 4 * n + 5);
      file.set(new Uint8Array(w.buffer), offset);
      expect(quantizeWeights(file.subarray(offset, offset + 4 * n), shape as number[], scaleW, axis as number | undefined)).toEqual(expected);
    }
  });

  test('float32 bytes that are not whole values, or not the shape\'s count, are refused', () => {
    expect(() => quantizeWeights(new Uint8Array(10), [2], Float32Array.from([1]), undefined)).toThrow(/not a whole number of float32 values/);
    expect(() => quantizeWeights(new Uint8Array(12), [2, 2], Float32Array.from([1]), undefined)).toThrow(QuantizeError);
  });

  test('rejects num_bits the int8 output cannot hold (the loop would wrap 200 to −56), and fractional ones', () => {
    const w = Float32Array.from([200, -300]);
    for (const bits of [9, 16, 1, 7.5]) {
      expect(() => quantizeWeights(w, [2], Float32Array.from([1]), undefined, bits)).toThrow(QuantizeError);
      expect(() => quantizeWeights(w, [2], Float32Array.from([1]), undefined, bits)).toThrow(/num_bits = [\d.]+ for weights.*\[2, 8\]/);
    }
    expect(Array.from(quantizeWeights(w, [2], Float32Array.from([1]), undefined, 8))).toEqual([127, -128]);
    expect(Array.from(quantizeWeights(w, [2], Float32Array.from([1]), undefined, 2))).toEqual([1, -2]);
  });
});

describe('quantizeBias', () => {
  test('b / (scale_d · scale_w[c]), rounded half away from zero', () => {
    // scale_d 0.5, scale_w [0.25, 0.5] → divisors 0.125, 0.25:
    // 1.0625/0.125 = 8.5 → 9; −0.125/0.25 = −0.5 → −1
    const q = quantizeBias(Float32Array.from([1.0625, -0.125]), 0.5, Float32Array.from([0.25, 0.5]));
    expect(Array.from(q)).toEqual([9, -1]);
    // per-tensor scale_w broadcasts
    expect(Array.from(quantizeBias(Float32Array.from([1, -1]), 0.5, Float32Array.from([0.5])))).toEqual([4, -4]);
  });

  test('int32 limits: 2^31 − 1 passes, beyond throws BIAS_OVERFLOW naming the layer', () => {
    expect(Array.from(quantizeBias(Float32Array.from([2147483520]), 1, Float32Array.from([1])))).toEqual([2147483520]);
    let err: unknown;
    try {
      // 1e4 / (1e-3 · 1e-3) = 1e10 > 2^31 − 1
      quantizeBias(Float32Array.from([1e4]), 1e-3, Float32Array.from([1e-3]), 'net/logits/MatMul');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QuantizeError);
    expect((err as QuantizeError).code).toBe('BIAS_OVERFLOW');
    expect((err as QuantizeError).layer).toBe('net/logits/MatMul');
    expect((err as Error).message).toContain('Quantized bias of layer net/logits/MatMul exceeds int32 range; add it to skip layers');
  });
});
