import { balanceFactors, BalancedActivationAccumulator, HfmgAccumulator, ifmr, inputChannelMax, IfmrParams, scaleInputChannels } from '../../src/calib';
import { CalibrationError } from '../../src/errors';
import { rng } from '../helpers/random';

const EPS = 2 ** -23;

describe('balance factors (SPEC §10)', () => {
  test('s = max|x|^α / max|w|^(1−α), by hand', () => {
    const s = balanceFactors([4, 9, 1], [1, 4, 0.25], 0.5);
    expect(Array.from(s)).toEqual([2, Math.fround(3 / 2), 2]);
  });

  test('all-zero channel gives 1; clamped to [FLT_EPSILON, 1/FLT_EPSILON]', () => {
    const s = balanceFactors([0, 1, 1e30, 1e-30], [1, 0, 1e-30, 1e30], 0.8);
    expect(s[0]).toBe(1);
    expect(s[1]).toBe(1);
    expect(s[2]).toBe(Math.fround(1 / EPS));
    expect(s[3]).toBe(Math.fround(EPS));
  });

  test('channel counts must agree', () => {
    expect(() => balanceFactors([1, 2], [1], 0.5, 'L')).toThrow(CalibrationError);
  });

  test('weight input-channel max and scaling along the input axis (HWIO axis 2)', () => {
    // shape [1, 1, 2, 3]: element (i, o) at index i*3 + o
    const w = Float32Array.from([1, -5, 2, 0.5, 0.25, -3]);
    expect(Array.from(inputChannelMax(w, [1, 1, 2, 3], 2))).toEqual([5, 3]);
    expect(Array.from(scaleInputChannels(w, [1, 1, 2, 3], 2, [2, 4]))).toEqual([2, -10, 4, 2, 1, -12]);
    // MatMul [in, out]: axis 0
    expect(Array.from(inputChannelMax(w, [2, 3], 0))).toEqual([5, 3]);
  });
});

/** NHWC activations whose channels span very different ranges (the case the balancer is for). */
function unevenBatches(seed: number, batches: number, pixels: number, channels: number): Float32Array[] {
  const r = rng(seed);
  const ranges = Array.from({ length: channels }, (_, c) => 0.01 * 3 ** (c % 7));
  return Array.from({ length: batches }, () => {
    const b = new Float32Array(pixels * channels);
    for (let i = 0; i < b.length; i++) {
      const g = r() + r() + r() - 1.5;
      b[i] = Math.max(0, g) * ranges[i % channels] * (1 + r());
    }
    return b;
  });
}

function exactBalanced(data: Float32Array[], channels: number, s: Float32Array): Float32Array[] {
  return data.map((b) => b.map((x, i) => x / s[i % channels]));
}

describe('balanced activation statistics vs the exact two-pass result', () => {
  const channels = 24;
  const params = (asymmetric: boolean): IfmrParams => ({ maxPercentile: 0.999999, minPercentile: 0.999999, searchRange: [0.7, 1.3], searchStep: 0.01, asymmetric });
  const wMax = Array.from({ length: channels }, (_, c) => 0.05 + 0.02 * ((c * 5) % 11));

  test.each([true, false])('IFMR, asymmetric = %s: max|x_c| exact, scale_d within 1% of IFMR on x/s', (asymmetric) => {
    const data = unevenBatches(7, 4, 3000, channels);
    const acc = new BalancedActivationAccumulator({ batchNum: 4, algorithm: { algo: 'ifmr', ifmr: params(asymmetric) } });
    for (const b of data) acc.add(b, [1, 3000, channels], 2);
    const exactMax = new Float64Array(channels);
    for (const b of data) b.forEach((x, i) => (exactMax[i % channels] = Math.max(exactMax[i % channels], Math.abs(x))));
    expect(Array.from(acc.channelMax())).toEqual(Array.from(exactMax));
    const s = balanceFactors(exactMax, wMax, 0.5);
    const exact = ifmr(exactBalanced(data, channels, s), params(asymmetric));
    const got = acc.result(s);
    expect(Math.abs(got.scale / exact.scale - 1)).toBeLessThan(0.01);
    expect(Math.abs(got.offset - exact.offset)).toBeLessThanOrEqual(1);
  });

  test('HFMG: scale_d within 2% of HFMG on x/s', () => {
    const data = unevenBatches(9, 3, 4000, channels);
    const acc = new BalancedActivationAccumulator({ batchNum: 3, algorithm: { algo: 'hfmg', hfmg: { asymmetric: true, numBins: 4096 } } });
    for (const b of data) acc.add(b, [4000, channels], 1);
    const s = balanceFactors(acc.channelMax(), wMax, 0.5);
    const ref = new HfmgAccumulator({ asymmetric: true, numBins: 4096 });
    for (const b of exactBalanced(data, channels, s)) ref.add(b);
    expect(Math.abs(acc.result(s).scale / ref.result().scale - 1)).toBeLessThan(0.02);
  });

  test('channels-first layout (axis 1 of NCHW) is split correctly', () => {
    // [1, 2, 2, 2]: channel 0 = first 4 values, channel 1 = last 4
    const acc = new BalancedActivationAccumulator({ algorithm: { algo: 'ifmr', ifmr: params(true) } });
    acc.add(Float32Array.from([1, 2, 3, 4, -10, 20, 0, 5]), [1, 2, 2, 2], 1);
    expect(Array.from(acc.channelMax())).toEqual([4, 20]);
  });

  test('NaN or a changed channel count is rejected naming the layer', () => {
    const acc = new BalancedActivationAccumulator({ layer: 'L', algorithm: { algo: 'ifmr', ifmr: params(true) } });
    expect(() => acc.add(Float32Array.from([1, NaN]), [1, 2], 1)).toThrow(/layer L contains NaN/);
    acc.add(Float32Array.from([1, 2]), [1, 2], 1);
    expect(() => acc.add(Float32Array.from([1, 2, 3]), [1, 3], 1)).toThrow(/had 2 channels and now has 3/);
    expect(acc.batchesSeen).toBe(1);
  });
});
