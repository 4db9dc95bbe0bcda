import { CalibrationError } from '../../src/errors';
import { HfmgAccumulator } from '../../src/calib';
import { clipLoss, clipLossDirect, prefixSums, searchCandidates } from '../../src/calib/hfmg-search';
import { laplace, rng, sample } from './dist';

const f32 = Math.fround;

function uniform(lo: number, hi: number, n: number, seed: number): Float32Array {
  const u = rng(seed);
  return sample(() => lo + (hi - lo) * u(), n);
}

describe('HFMG on known distributions', () => {
  test('uniform data keeps (almost) its full range', () => {
    // U(−1, 3): every clip costs more clipping error than it saves in rounding noise, so
    // the range stays ≈ [−1, 3]: scale ≈ 4/255, offset = −round(−1/(4/255)) − 128
    // = −round(−63.75) − 128 = 64 − 128 = −64.
    const h = new HfmgAccumulator({ numBins: 4096, asymmetric: true });
    for (let b = 0; b < 4; b++) h.add(uniform(-1, 3, 100000, b + 1));
    const { clipMin, clipMax } = h.clipRange();
    expect(Math.abs(clipMin + 1)).toBeLessThan(4e-3); // within 0.1% of the 4-wide range
    expect(Math.abs(clipMax - 3)).toBeLessThan(4e-3);
    const r = h.result();
    expect(Math.abs(r.scale / (4 / 255) - 1)).toBeLessThan(2e-3);
    expect(r.offset).toBe(-64);
    // Symmetric: c = max(|min|, |max|) ≈ 3 → scale ≈ 3/127.
    const s = new HfmgAccumulator({ numBins: 1024, asymmetric: false });
    s.add(uniform(-1, 3, 200000, 9));
    expect(Math.abs(s.result().scale / (3 / 127) - 1)).toBeLessThan(4e-3);
    expect(s.result().offset).toBe(0);
  });

  test('heavy tails are clipped', () => {
    // Laplace(b = 1), 400k values: extremes near ±12; the L2 optimum clips to roughly ±10.
    const l = laplace(rng(4));
    for (const numBins of [1024, 4096, 8192]) {
      const h = new HfmgAccumulator({ numBins, asymmetric: true });
      let max = -Infinity;
      let min = Infinity;
      for (let b = 0; b < 4; b++) {
        const x = sample(l, 100000);
        for (const v of x) {
          max = v > max ? v : max;
          min = v < min ? v : min;
        }
        h.add(x);
      }
      const { clipMin, clipMax } = h.clipRange();
      expect(clipMax).toBeLessThan(0.9 * max);
      expect(clipMin).toBeGreaterThan(0.9 * min);
      expect(clipMax).toBeGreaterThan(0.6 * max); // clipped, not gutted
    }
  });

  test('constant data', () => {
    // All 2: range [2, 2] → clamp min to 0 → scale 2/255, offset −128.
    const h = new HfmgAccumulator({ asymmetric: true });
    h.add(new Float32Array(100).fill(2));
    expect(h.result()).toEqual({ scale: f32(2 / 255), offset: -128 });
    // All zero: scale 0 < FLT_EPSILON → 1.
    const z = new HfmgAccumulator({ asymmetric: false });
    z.add(new Float32Array(10));
    expect(z.result()).toEqual({ scale: 1, offset: 0 });
    // A constant first batch, then a real range: the constant mass is kept at its value.
    h.add(uniform(0, 4, 10000, 3));
    expect(h.clipRange().clipMax).toBeCloseTo(4, 1);
  });
});

describe('HFMG merging across batches', () => {
  test('growing ranges re-bin without losing counts and match a one-shot histogram', () => {
    const parts = [uniform(0, 1, 50000, 1), uniform(-2, 2, 50000, 2), uniform(0, 6, 50000, 3)];
    const merged = new HfmgAccumulator({ numBins: 2048, asymmetric: true });
    for (const p of parts) merged.add(p);
    const all = new Float32Array(150000);
    parts.forEach((p, i) => all.set(p, i * 50000));
    const once = new HfmgAccumulator({ numBins: 2048, asymmetric: true });
    once.add(all);
    const a = merged.clipRange();
    const b = once.clipRange();
    const bin = 8 / 2048;
    expect(Math.abs(a.clipMin - b.clipMin)).toBeLessThan(4 * bin);
    expect(Math.abs(a.clipMax - b.clipMax)).toBeLessThan(4 * bin);
    expect(merged.batchesSeen).toBe(3);
    expect(merged.memoryBytes()).toBe(2048 * 8);
  });
});

describe('HFMG search internals', () => {
  test('candidates start unclipped and stop at numBins/4', () => {
    const counts = new Float64Array(1024).fill(10);
    const c = searchCandidates(counts);
    expect(c[0]).toEqual({ left: 0, right: 1023 });
    const last = c[c.length - 1];
    expect(last.right - last.left).toBeLessThanOrEqual(256);
    // total 10240 → step ceil(10240/100000) = 1 value → one bin per move
    expect(c[1].right - c[1].left).toBe(1022);
  });

  test('prefix-sum loss equals the bin-by-bin loss', () => {
    const u = rng(12);
    const counts = new Float64Array(2048).map((_, i) => Math.floor(100 * u() * Math.exp(-Math.abs(i - 700) / 200)));
    const p = prefixSums(counts);
    for (const c of searchCandidates(counts)) {
      const fast = clipLoss(counts, 0.01, c, 256, p);
      expect(Math.abs(fast / clipLossDirect(counts, 0.01, c, 256) - 1)).toBeLessThan(1e-8);
    }
  });

  test('loss of a hand-sized case: 2 bins of width 1 onto 2 levels', () => {
    // counts [1, 1], candidate [0, 1], levels 2: each source bin is exactly one level,
    // values uniform in a unit bin around its centre: loss = 2 · 1/12.
    const counts = Float64Array.from([1, 1]);
    expect(clipLossDirect(counts, 1, { left: 0, right: 1 }, 2)).toBeCloseTo(2 / 12, 12);
    // candidate [0, 0] onto 2 levels of width 0.5 (centres 0.25, 0.75):
    // bin 0: ∫₀^½ (t − ¼)² + ∫_½^1 (t − ¾)² = 2·(2·(¼)³/3) = 1/48;
    // bin 1 (values in [1, 2]) clamps to the last level: ∫₁² (t − ¾)² = (1.25³ − 0.25³)/3 = 31/48.
    expect(clipLossDirect(counts, 1, { left: 0, right: 0 }, 2)).toBeCloseTo(32 / 48, 12);
  });
});

describe('HFMG errors', () => {
  test('bad num_of_bins, NaN data, no data', () => {
    expect(() => new HfmgAccumulator({ numBins: 1000, asymmetric: true, layer: 'L' })).toThrow(/num_of_bins/);
    const h = new HfmgAccumulator({ asymmetric: true, layer: 'net/fc/MatMul' });
    expect(() => h.add(Float32Array.from([1, NaN]))).toThrow(/net\/fc\/MatMul.*NaN/);
    expect(() => h.add(new Float32Array(0))).toThrow(/empty/);
    expect(() => h.result()).toThrow(CalibrationError);
  });
});
