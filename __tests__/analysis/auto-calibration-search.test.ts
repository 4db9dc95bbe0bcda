/**
 * The search of accuracyBasedAutoCalibration on its own, against known answers:
 * - BinarySearch and Sequential: for every number of candidates L up to 64 and every
 *   answer k, a fake trial accepts exactly the prefixes of length ≥ k; the search must
 *   return that prefix, BinarySearch within ⌈log2 L⌉ trials;
 * - BinarySearchRefine: a trial accepts exactly when a hidden set of layers is in float;
 *   whatever the ranking, the search must return exactly that set.
 */
import { checkStrategy, maxTrials, searchFloatLayers } from '../../src/analysis/auto-calibration-search';
import { AutoCalibrationError } from '../../src/errors';
import { rng } from '../helpers/random';

const layers = (n: number) => Array.from({ length: n }, (_, i) => `layer${i}`);

/** Accepts a trial when every layer of `needed` is in float. */
function fakeTrials(needed: string[]) {
  const asked: string[][] = [];
  const run = async (float: string[]) => {
    asked.push(float);
    const ok = needed.every((l) => float.includes(l));
    return { ok, metric: ok ? 1 : 0, loss: ok ? 0 : 1 };
  };
  return { asked, run };
}

describe('searchFloatLayers', () => {
  it('BinarySearch finds the smallest accepted prefix within ⌈log2 L⌉ trials, for every L ≤ 64 and every answer', async () => {
    for (let L = 1; L <= 64; L++) {
      const ranked = layers(L);
      // answer L means only the all-float model passes: no quantized answer exists.
      for (let answer = 1; answer <= L; answer++) {
        const { asked, run } = fakeTrials([ranked[answer - 1]]);
        const found = await searchFloatLayers('BinarySearch', ranked, run);
        expect(found).toEqual(answer < L ? ranked.slice(0, answer) : undefined);
        expect(asked.length).toBeLessThanOrEqual(Math.ceil(Math.log2(L)));
        expect(asked.length).toBeLessThanOrEqual(maxTrials('BinarySearch', L));
        // never no layer or every layer in float: both are known before the search
        expect(asked.every((f) => f.length >= 1 && f.length < L)).toBe(true);
        expect(new Set(asked.map((f) => f.length)).size).toBe(asked.length);
      }
    }
  });

  it('Sequential tries k = 1, 2, ... and stops at the first accepted', async () => {
    const ranked = layers(10);
    const { asked, run } = fakeTrials([ranked[3]]);
    expect(await searchFloatLayers('Sequential', ranked, run)).toEqual(ranked.slice(0, 4));
    expect(asked.map((f) => f.length)).toEqual([1, 2, 3, 4]);
    const none = fakeTrials([ranked[9]]);
    expect(await searchFloatLayers('Sequential', ranked, none.run)).toBeUndefined();
    expect(none.asked).toHaveLength(9);
    expect(maxTrials('Sequential', 10)).toBe(9);
  });

  it('BinarySearch returns an accepted k whose k − 1 was rejected when the metric is not monotonic', async () => {
    const ranked = layers(16);
    const accepts = (k: number) => k === 2 || k >= 6; // accepted at k = 2 and k ≥ 6 only
    const asked: number[] = [];
    const run = async (float: string[]) => {
      asked.push(float.length);
      return { ok: accepts(float.length), metric: 0, loss: 0 };
    };
    const k = (await searchFloatLayers('BinarySearch', ranked, run))!.length;
    expect(asked).toContain(k);
    expect(accepts(k)).toBe(true);
    expect(asked).toContain(k - 1);
    expect(accepts(k - 1)).toBe(false);
  });

  it('BinarySearchRefine keeps exactly the layers that matter, wherever the ranking puts them', async () => {
    const random = rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const L = 2 + Math.floor(random() * 70);
      const ranked = layers(L);
      const count = 1 + Math.floor(random() * Math.min(4, L - 1));
      const needed = [...new Set(Array.from({ length: count }, () => ranked[Math.floor(random() * L)]))];
      if (needed.length === L) continue;
      const { asked, run } = fakeTrials(needed);
      const found = await searchFloatLayers('BinarySearchRefine', ranked, run);
      const prefix = await searchFloatLayers('BinarySearch', ranked, fakeTrials(needed).run);
      expect(found).toEqual(ranked.filter((l) => needed.includes(l))); // exactly, in ranking order
      if (prefix) expect(found!.length).toBeLessThanOrEqual(prefix.length);
      // one round per layer kept, and a last round that finds no more are needed
      expect(asked.length).toBeLessThanOrEqual((needed.length + 1) * Math.ceil(Math.log2(L)));
    }
  });

  it('BinarySearchRefine reports none when only the all-float model passes', async () => {
    const ranked = layers(5);
    const { asked, run } = fakeTrials(ranked);
    expect(await searchFloatLayers('BinarySearchRefine', ranked, run)).toBeUndefined();
    expect(asked.every((f) => f.length < 5)).toBe(true);
  });

  it('rejects unknown strategies with a typed error and defaults to BinarySearch', () => {
    expect(checkStrategy(undefined)).toBe('BinarySearch');
    expect(checkStrategy('Sequential')).toBe('Sequential');
    expect(checkStrategy('BinarySearchRefine')).toBe('BinarySearchRefine');
    for (const bad of ['binarysearch', 'Greedy', 3, null]) {
      let error: unknown;
      try {
        checkStrategy(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AutoCalibrationError);
      expect((error as AutoCalibrationError).code).toBe('INVALID_ARGUMENT');
      expect((error as AutoCalibrationError).field).toBe('strategy');
      expect((error as AutoCalibrationError).hint).toMatch(/BinarySearch/);
    }
  });
});
