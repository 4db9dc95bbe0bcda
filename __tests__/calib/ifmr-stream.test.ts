import { CalibrationError } from '../../src/errors';
import { ifmr, IfmrAccumulator, IfmrParams } from '../../src/calib';
import { TopK } from '../../src/calib/tails';
import { MomentHistogram } from '../../src/calib/moment-histogram';
import { activation, batches, rng, sample } from './dist';

const SIZES = [24000, 9000, 31000, 15000, 27000, 6000]; // batches of different sizes

function params(p: number, asymmetric: boolean): IfmrParams {
  return { maxPercentile: p, minPercentile: p, searchRange: [0.7, 1.3], searchStep: 0.01, asymmetric };
}

function stream(data: Float32Array[], p: IfmrParams, extra = {}): IfmrAccumulator {
  const acc = new IfmrAccumulator({ ...p, batchNum: data.length, ...extra });
  for (const b of data) acc.add(b);
  return acc;
}

describe('streaming IFMR vs exact IFMR', () => {
  const kinds = ['relu', 'relu6', 'gaussian', 'laplace', 'mixture'];
  const cases = kinds.flatMap((k) => [0.999999, 0.999].flatMap((p) => [true, false].map((a) => [k, p, a] as const)));

  test.each(cases)('%s, p = %s, asymmetric = %s: scale within 1%', (kind, p, asymmetric) => {
    const data = batches(activation(kind, rng(kind.length * 7919 + (asymmetric ? 1 : 0))), SIZES);
    const prm = params(p, asymmetric);
    const exact = ifmr(data, prm);
    const acc = stream(data, prm);
    const approx = acc.result();
    expect(acc.tailsExact()).toBe(true);
    expect(Math.abs(approx.scale / exact.scale - 1)).toBeLessThan(0.01);
    // With exact tails the result is one of exact IFMR's candidates; on these inputs the
    // histogram loss even picks the same one, so scale and offset agree bit for bit.
    expect(approx).toEqual(exact);
  });

  test('ReLU6 sanity point through the accumulator', () => {
    const relu6 = activation('relu6', rng(11));
    const acc = new IfmrAccumulator({ ...params(0.999999, true), batchNum: 4 });
    for (let b = 0; b < 4; b++) acc.add(sample(relu6, 20000));
    expect(acc.result()).toEqual({ scale: Math.fround(6 / 255), offset: -128 });
    expect(acc.batchesSeen).toBe(4);
    expect(acc.count).toBe(80000);
  });

  test('a rejected batch (NaN or Inf part-way, or out of range then NaN) leaves the accumulator as it was', () => {
    const u = rng(23);
    const good = [sample(activation('gaussian', u), 12000), sample(activation('gaussian', u), 12000)];
    const reference = new IfmrAccumulator({ ...params(0.999, true), batchNum: 2 });
    good.forEach((b) => reference.add(b));

    const acc = new IfmrAccumulator({ ...params(0.999, true), batchNum: 2 });
    acc.add(good[0]);
    const nanLate = good[1].slice();
    nanLate[9000] = NaN; // 9000 values are already binned when the NaN is met
    const infAfterOutlier = good[1].slice();
    infAfterOutlier[100] = 1e6; // outside the histogram's range: forces the slow path first
    infAfterOutlier[5000] = -Infinity;
    for (const bad of [nanLate, infAfterOutlier]) {
      expect(() => acc.add(bad)).toThrow(expect.objectContaining({ code: 'CALIBRATION_DATA_INVALID' }));
      expect(acc.batchesSeen).toBe(1);
      expect(acc.count).toBe(12000);
    }
    acc.add(good[1]);
    expect(acc.count).toBe(reference.count);
    expect(acc.result()).toEqual(reference.result());
  });

  test('tails beyond the buffers fall back to the histogram and stay within 1%', () => {
    // p = 0.99 over 60k values asks for rank ≈ 600; a 64-value buffer cannot answer it.
    const data = batches(activation('laplace', rng(5)), [20000, 20000, 20000]);
    const prm = params(0.99, true);
    const acc = stream(data, prm, { maxTailCapacity: 64 });
    expect(acc.tailsExact()).toBe(false);
    const exact = ifmr(data, prm);
    expect(Math.abs(acc.result().scale / exact.scale - 1)).toBeLessThan(0.01);
  });

  test('more batches than announced still give exact tails while the rank fits', () => {
    const data = batches(activation('gaussian', rng(9)), [10000, 10000, 10000, 10000]);
    const prm = params(0.999, false);
    const acc = new IfmrAccumulator({ ...prm, batchNum: 1 }); // told 1, fed 4
    for (const b of data) acc.add(b);
    expect(Math.abs(acc.result().scale / ifmr(data, prm).scale - 1)).toBeLessThan(0.01);
  });
});

describe('streaming IFMR memory', () => {
  test('does not grow with the number or size of batches', () => {
    const s = activation('mixture', rng(21));
    const acc = new IfmrAccumulator({ ...params(0.999999, true), batchNum: 50 });
    acc.add(sample(s, 10000));
    const after1 = acc.memoryBytes();
    for (let i = 0; i < 30; i++) acc.add(sample(s, 10000 + 3000 * i));
    // A batch 20× wider than the first forces several doublings of the bin width.
    acc.add(sample(() => 20 * s(), 50000));
    expect(acc.memoryBytes()).toBe(after1);
    // 16384 bins × 3 float64 plus two tail buffers of 2·(2·rank + 64) float32
    expect(after1).toBeLessThan(16384 * 24 + 4096);
  });

  test('re-binning keeps counts and moments exactly', () => {
    const h = new MomentHistogram(1024);
    const a = Float32Array.from([0.1, 0.2, 0.3, 0.30001]);
    h.ensureRange(0.1, 0.30001);
    h.add(a);
    const before = h.binWidth;
    h.ensureRange(-50, 1000);
    expect(h.binWidth).toBeGreaterThan(before);
    h.add(Float32Array.from([-50, 1000]));
    let n = 0;
    let sum = 0;
    for (let i = 0; i < h.numBins; i++) {
      const b = h.bin(i);
      if (b) {
        n += b.n;
        sum += b.n * b.mean;
      }
    }
    expect(n).toBe(6);
    const expected = [...a].reduce((x, y) => x + y, 0) - 50 + 1000;
    expect(sum).toBeCloseTo(expected, 9);
  });
});

describe('exact top-k tail buffer', () => {
  test('ranks up to the capacity are those of the whole stream, ties included', () => {
    const t = new TopK(8);
    const all: number[] = [];
    const u = rng(2);
    for (let b = 0; b < 20; b++) {
      const x = new Float32Array(97).map(() => Math.round(u() * 50)); // many ties
      all.push(...x);
      t.offerAll(x, false);
    }
    all.sort((p, q) => q - p);
    for (let r = 1; r <= 8; r++) expect(t.rankFromTop(r)).toBe(all[r - 1]);
    expect(t.rankFromTop(9)).toBeUndefined();
  });
});

describe('streaming IFMR errors', () => {
  const layer = 'net/block2/Conv2D';
  test('NaN, Inf and empty batches name the layer', () => {
    const acc = new IfmrAccumulator({ ...params(0.999999, true), layer });
    expect(() => acc.add(Float32Array.from([0, NaN]))).toThrow(new RegExp(`${layer}.*NaN`));
    expect(() => acc.add(Float32Array.from([Infinity]))).toThrow(/Inf/);
    expect(() => acc.add(new Float32Array(0))).toThrow(/empty/);
    expect(acc.batchesSeen).toBe(0);
  });

  test('more IFMR candidates than the config allows is refused up front, as the config validator does (else every batch would take hours)', () => {
    for (const [searchRange, searchStep] of [[[0.7, 1.3], 1e-9], [[0.5, 1e12], 0.01], [[0.7, 1.3], 1e-320]] as const) {
      const make = () => new IfmrAccumulator({ ...params(0.999999, true), searchRange: [...searchRange], searchStep, layer });
      expect(make).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', layer, field: 'search_step' }));
      expect(make).toThrow(/candidates; the limit is 10000/);
    }
    // The limit itself passes: 10,000 candidates (a step of 1/9999 over [1, 2], counted in float32).
    expect(() => new IfmrAccumulator({ ...params(0.999999, true), searchRange: [1, 2], searchStep: 1 / 9999, layer })).not.toThrow();
  });

  test('result before any batch is CALIBRATION_INCOMPLETE', () => {
    const acc = new IfmrAccumulator({ ...params(0.999999, true), layer });
    expect(() => acc.result()).toThrow(CalibrationError);
    try {
      acc.result();
    } catch (e) {
      expect((e as CalibrationError).code).toBe('CALIBRATION_INCOMPLETE');
      expect((e as CalibrationError).layer).toBe(layer);
    }
  });
});
