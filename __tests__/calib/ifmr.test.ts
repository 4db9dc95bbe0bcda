import { CalibrationError } from '../../src/errors';
import { candidateCount, exactLoss, ifmr, IfmrParams, percentileRank } from '../../src/calib';
import { activation, rng, sample } from './dist';

const f32 = Math.fround;

function params(over: Partial<IfmrParams> = {}): IfmrParams {
  return {
    maxPercentile: 0.999999,
    minPercentile: 0.999999,
    searchRange: [0.7, 1.3],
    searchStep: 0.01,
    asymmetric: true,
    ...over,
  };
}

describe('IFMR order statistics and candidates (AMCT float32 semantics)', () => {
  test('percentile rank = n − floor(float32(p·n)), 1 for p = 1', () => {
    expect(percentileRank(1, 1000)).toBe(1);
    // f32(0.999999)·1e6 = 999998.987 → float32 999999 → rank 1 (the maximum)
    expect(percentileRank(0.999999, 1e6)).toBe(1);
    // f32(0.999)·10000 = 9990.0001 → 9990 → rank 10
    expect(percentileRank(0.999, 10000)).toBe(10);
    // f32(0.98)·100 = 98.0000019 → 98 → rank 2
    expect(percentileRank(0.98, 100)).toBe(2);
    expect(percentileRank(0.51, 1)).toBe(1);
  });

  test('default search [0.7, 1.3] step 0.01 has 60 candidates, as AMCT computes it', () => {
    // float32: (1.3 − 0.7)/0.01 = 59.999996; + 1 = 60.999996; truncated → 60 (k = 0.70 … 1.29)
    expect(candidateCount(params())).toBe(60);
    // (1.0 − 0.5)/0.25 + 1 = 3 exactly → k = 0.5, 0.75, 1.0
    expect(candidateCount(params({ searchRange: [0.5, 1.0], searchStep: 0.25 }))).toBe(3);
    // f32(1.01) − 1 = 0.00999999; / f32(0.01) = 0.999999; + 1 → 1.999999 → 1 candidate
    expect(candidateCount(params({ searchRange: [1.0, 1.01], searchStep: 0.01 }))).toBe(1);
  });
});

describe('exact IFMR on hand-computed data', () => {
  test('ReLU6 sanity point: scale 6/255, offset −128', () => {
    // 1001 values i·6/1000, 6 present: max = 6 (rank 1), min = 0. Clipping at k < 1 costs
    // ≈ Σ_{j≤10}(0.006j)²/1001 ≈ 1.4e-5, more than the ≈ 1e-6 of rounding noise it saves;
    // k > 1 only adds noise. So k = 1: s = f32(6/255) = 0.0235294122, offset = −0 − 128.
    const x = new Float32Array(1001).map((_, i) => (i * 6) / 1000);
    const r = ifmr(x, params());
    expect(r.scale).toBe(f32(6 / 255));
    expect(r.scale).toBeCloseTo(0.0235294122, 10);
    expect(r.offset).toBe(-128);
  });

  test('2-bit asymmetric: the unclipped candidate wins', () => {
    // x = [0,1,2,3,6], p = 1 → max 6, min 0; k ∈ {0.5, 1} (step 0.5); levels 2²−1 = 3.
    // k=0.5: c=3, s=1: q = 0,1,2,3,3 → loss (6−3)²/5 = 1.8
    // k=1:   c=6, s=2: x/s = 0,.5,1,1.5,3 → round half away 0,1,1,2,3 → q = 0,2,2,4,6
    //        → loss (1+1)/5 = 0.4  ⇒ scale 2, offset = −round(0/2) − 2 = −2
    const x = Float32Array.from([0, 1, 2, 3, 6]);
    const p = params({ maxPercentile: 1, minPercentile: 1, searchRange: [0.5, 1], searchStep: 0.5, numBits: 2 });
    expect(exactLoss([x], 0, 3, 1)).toBeCloseTo(1.8, 12);
    expect(exactLoss([x], 0, 6, 2)).toBeCloseTo(0.4, 12);
    expect(ifmr(x, p)).toEqual({ scale: 2, offset: -2 });
  });

  test('2-bit asymmetric: a clipped candidate wins', () => {
    // x = [0,1,2,3,3,3,3,3,3,4]; max 4, min 0; k ∈ {0.5, 0.75, 1} → c = 2, 3, 4.
    // k=0.5:  s=2/3: 1→4/3, 2→2, 3,4→2 (clipped): (1/9 + 6·1 + 4)/10 ≈ 1.011
    // k=0.75: s=1:   all exact except 4→3: 1/10 = 0.1
    // k=1:    s=4/3: 1→4/3, 2→8/3, 3→8/3, 4→4: (1/9 + 4/9 + 6/9)/10 ≈ 0.122
    // ⇒ k = 0.75: scale 1, offset −2
    const x = Float32Array.from([0, 1, 2, 3, 3, 3, 3, 3, 3, 4]);
    const p = params({ maxPercentile: 1, minPercentile: 1, searchRange: [0.5, 1], searchStep: 0.25, numBits: 2 });
    expect(exactLoss([x], 0, 3, 1)).toBeCloseTo(0.1, 12);
    expect(ifmr(x, p)).toEqual({ scale: 1, offset: -2 });
  });

  test('2-bit symmetric: max = max(|max|, |min|), ties keep the first candidate', () => {
    // x = [−3,−1,0,1,2]: max 2, min −3 → base 3; qmax = 2¹−1 = 1; k ∈ {0.5, 1}.
    // k=0.5: c=1.5, s=1.5: clamp to ±1.5, q = −1.5,−1.5,0,1.5,1.5 → (2.25+.25+0+.25+.25)/5 = 0.6
    // k=1:   c=3,   s=3:   q = −3,0,0,0,3 → (0+1+0+1+1)/5 = 0.6 — an exact tie ⇒ first: k = 0.5
    const x = Float32Array.from([-3, -1, 0, 1, 2]);
    const p = params({ maxPercentile: 1, minPercentile: 1, searchRange: [0.5, 1], searchStep: 0.5, numBits: 2, asymmetric: false });
    expect(exactLoss([x], -1.5, 1.5, 1.5)).toBe(0.6);
    expect(exactLoss([x], -3, 3, 3)).toBe(0.6);
    expect(ifmr(x, p)).toEqual({ scale: 1.5, offset: 0 });
  });

  test('percentile tails: max = sorted[floor(p·N)], min = sorted[rank − 1]', () => {
    // x = −5000 … 4999 (N = 10000), p = 0.999 → rank 10: max = sorted[9990] = 4990,
    // min = sorted[9] = −4991. One candidate (k = 1, see above): s = f32(9981/255) = 39.1411781,
    // offset = −round(−4991/s) − 128 = −round(−127.513) − 128 = 128 − 128 = 0.
    const x = new Float32Array(10000).map((_, i) => i - 5000);
    const p = params({ maxPercentile: 0.999, minPercentile: 0.999, searchRange: [1, 1.01], searchStep: 0.01 });
    const r = ifmr(x, p);
    expect(r.scale).toBe(f32(9981 / 255));
    expect(r.offset).toBe(0);
    // The same data split into shuffled batches gives the same answer.
    const parts = [x.slice(7000), x.slice(0, 2500), x.slice(2500, 7000)];
    expect(ifmr(parts, p)).toEqual(r);
  });

  test('clamps max ≥ 0 ≥ min: all-negative and all-zero data', () => {
    // All values in [−4, −1]: max clamps to 0, so every candidate c = k·0 = 0 and
    // s = (0 − (−4))/255; offset = −round(−4/s) − 128 = 255 − 128 = 127.
    const neg = Float32Array.from([-4, -3, -2, -1]);
    const r = ifmr(neg, params({ maxPercentile: 1, minPercentile: 1 }));
    expect(r.scale).toBe(f32(4 / 255));
    expect(r.offset).toBe(127);
    // All zero: s = 0 < FLT_EPSILON → 1; offset −128 (asymmetric), 0 (symmetric).
    expect(ifmr(new Float32Array(8), params())).toEqual({ scale: 1, offset: -128 });
    expect(ifmr(new Float32Array(8), params({ asymmetric: false }))).toEqual({ scale: 1, offset: 0 });
  });

  test('matches a naive sort-and-loop implementation on random data', () => {
    const x = sample(activation('mixture', rng(3)), 3000);
    for (const asymmetric of [true, false]) {
      const p = params({ maxPercentile: 0.995, minPercentile: 0.99, asymmetric });
      expect(ifmr(x, p)).toEqual(naiveIfmr(x, p));
    }
  });
});

describe('IFMR input errors name the layer', () => {
  const p = params({ layer: 'net/conv1/Conv2D' });
  test.each([
    ['NaN', Float32Array.from([1, NaN, 2])],
    ['Inf', Float32Array.from([1, -Infinity])],
    ['empty', new Float32Array(0)],
  ])('%s', (what, x) => {
    let err: unknown;
    try {
      ifmr(x, p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CalibrationError);
    expect((err as CalibrationError).code).toBe('CALIBRATION_DATA_INVALID');
    expect((err as CalibrationError).layer).toBe('net/conv1/Conv2D');
    expect((err as Error).message).toContain('net/conv1/Conv2D');
    expect((err as Error).message).toContain(what);
  });

  test('no batches at all, and bad parameters', () => {
    expect(() => ifmr([], p)).toThrow(/empty/);
    expect(() => ifmr(Float32Array.from([1]), params({ maxPercentile: 0.4 }))).toThrow(/max_percentile/);
    expect(() => ifmr(Float32Array.from([1]), params({ searchRange: [1.3, 0.7] }))).toThrow(/search_range/);
  });
});

/** Straight transcription of SPEC §7 with a full sort, as an independent oracle. */
function naiveIfmr(x: Float32Array, p: IfmrParams): { scale: number; offset: number } {
  const sorted = Float32Array.from(x).sort();
  const n = sorted.length;
  const max = Math.max(0, sorted[n - percentileRank(p.maxPercentile, n)]);
  const min = Math.min(0, sorted[percentileRank(p.minPercentile, n) - 1]);
  const base = p.asymmetric ? max : Math.max(max, -min);
  const round = (v: number) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
  let best = { loss: Infinity, scale: 0 };
  for (let i = 0; i < candidateCount(p); i++) {
    const c = f32(f32(f32(p.searchRange[0]) + f32(i * f32(p.searchStep))) * base);
    let s = p.asymmetric ? f32(f32(c - min) / 255) : f32(c / 127);
    if (s < 1.1920929e-7) s = 1;
    const lo = p.asymmetric ? min : -c;
    let loss = 0;
    for (const v of x) {
      const d = f32(round(f32(Math.min(c, Math.max(lo, v)) / s)) * s) - v;
      loss += d * d;
    }
    if (loss / n < best.loss) best = { loss: loss / n, scale: s };
  }
  const offset = p.asymmetric ? -round(f32(min / best.scale)) - 128 : 0;
  return { scale: best.scale, offset: offset + 0 };
}
