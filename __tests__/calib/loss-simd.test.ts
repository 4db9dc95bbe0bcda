/**
 * IFMR's candidate losses on WebAssembly SIMD (calib/loss-kernel-module.ts, two candidates
 * per vector) must be the JavaScript loop's bit for bit: the same argmin, so the same
 * scale/offset, for every histogram and candidate set.
 */
import { IfmrAccumulator } from '../../src/calib';
import { candidates, clampRange } from '../../src/calib/ifmr-search';
import { candidateLosses } from '../../src/calib/hist-loss';
import * as lossSimd from '../../src/calib/loss-simd';
import type { BinModel } from '../../src/calib/moment-histogram';
import * as host from '../../src/wasm/host';
import { activation, batches, rng } from './dist';

function expectSameBits(model: BinModel, cands: { lo: number; clip: number; scale: number }[]): void {
  const simd = candidateLosses(model, cands, true);
  const js = candidateLosses(model, cands, false);
  const differing = js.map((x, i) => (Object.is(x, simd[i]) ? -1 : i)).filter((i) => i >= 0);
  expect(differing.map((i) => `candidate ${i}: simd ${simd[i]}, js ${js[i]}`)).toEqual([]);
}

const params = (asymmetric: boolean, numBits = 8) => ({ maxPercentile: 0.999, minPercentile: 0.999, searchRange: [0.7, 1.3] as [number, number], searchStep: 0.01, asymmetric, numBits });

/** A small IFMR search input (histogram and candidates). */
function searchInput(asymmetric: boolean) {
  const acc = new IfmrAccumulator({ ...params(asymmetric), batchNum: 1 });
  for (const b of batches(activation('gaussian', rng(3)), [20000])) acc.add(b);
  return acc.searchInput();
}

// candidateLosses falls back to the loop quietly where the module does not compile, so without
// this both sides of the comparisons below could be the loop.
test('the loss module compiles and links on this Node, and candidateLosses uses it', () => {
  expect(lossSimd.lossSimdAvailable()).toBe(true);
  const spy = jest.spyOn(lossSimd, 'lossSumsSimd');
  try {
    const input = searchInput(true);
    candidateLosses(input.model, input.candidates.slice(0, 5), true);
    expect(spy.mock.results.map((r) => r.value instanceof Float64Array)).toEqual([true]);
  } finally {
    spy.mockRestore();
  }
});

test('when the memory cannot grow to the bins, lossSumsSimd gives up and candidateLosses runs the loop, with the same losses', () => {
  const input = searchInput(false);
  const js = candidateLosses(input.model, input.candidates, false);
  const grow = jest.spyOn(host, 'reserveBytes').mockReturnValue(false);
  const sums = jest.spyOn(lossSimd, 'lossSumsSimd');
  try {
    const losses = candidateLosses(input.model, input.candidates, true);
    expect(grow).toHaveBeenCalled();
    expect(sums.mock.results.map((r) => r.value)).toEqual([undefined]);
    expect(losses).toEqual(js);
  } finally {
    grow.mockRestore();
    sums.mockRestore();
  }
});

describe('IFMR losses on WebAssembly SIMD', () => {
  test.each(['relu', 'relu6', 'gaussian', 'laplace', 'mixture'].flatMap((k) => [true, false].map((a) => [k, a] as const)))('%s, asymmetric %s: every loss bit for bit the JavaScript one', (kind, asymmetric) => {
    const acc = new IfmrAccumulator({ ...params(asymmetric), batchNum: 2 });
    for (const b of batches(activation(kind, rng(kind.length + (asymmetric ? 1 : 0))), [40000, 40000])) acc.add(b);
    const input = acc.searchInput();
    expectSameBits(input.model, input.candidates);
    expectSameBits(input.model, input.candidates.slice(1)); // the other parity: an odd last one runs in both lanes
  });

  test('made-up bins: points (half 0 and below tiny), bins across lo and the clip, wholly outside, over many cells, both candidate parities, 4 bits', () => {
    const u = rng(99);
    const k = 3000;
    const width = 2 ** -6;
    const model: BinModel = { n: new Float64Array(k), mean: new Float64Array(k), half: new Float64Array(k), total: 0, width };
    for (let i = 0; i < k; i++) {
      model.n[i] = 1 + Math.floor(u() * 50);
      model.mean[i] = (u() - 0.3) * 12;
      const r = u();
      model.half[i] = r < 0.1 ? 0 : r < 0.15 ? width * 1e-12 : r < 0.9 ? u() * width / 2 : u() * 3; // points, tiny, usual, wide (many cells)
      model.total += model.n[i];
    }
    for (const [asymmetric, bits] of [[true, 8], [false, 8], [true, 4]] as const) {
      const cands = candidates(clampRange(7, -2.5), params(asymmetric, bits));
      expectSameBits(model, cands);
      expectSameBits(model, cands.slice(1));
    }
  });

  // Which level a tie rounds to cannot change a squared error (both are as far), so this pins the
  // arithmetic around the ties (exact quotients, zero-width end cells), not the tie rule itself.
  test('rounding ties: bins whose ends, and points, fall exactly on ±(k + ½)·s of a candidate', () => {
    const cands = candidates(clampRange(6, -3), params(true));
    const h = 2 ** -10;
    const bins: [number, number][] = []; // [mean, half]
    for (const c of cands.filter((_, i) => i % 7 === 0)) {
      for (const k of [-3.5, -2.5, -0.5, 0.5, 1.5, 4.5]) {
        const a = k * c.scale; // exact: a float32 times a short binary fraction
        bins.push([a + h, h]); // u = a exactly: u / s = k
        bins.push([a - h, h]); // v = a exactly
        bins.push([a, 0]); // a point on the tie
      }
    }
    const model: BinModel = { n: Float64Array.from(bins, () => 3), mean: Float64Array.from(bins, (b) => b[0]), half: Float64Array.from(bins, (b) => b[1]), total: 3 * bins.length, width: 2 ** -8 };
    expectSameBits(model, cands);
  });
});
