/**
 * MomentHistogram binning on WebAssembly (calib/bin-kernel-module.ts, bin-arena.ts) must
 * give the JavaScript loop's counts and sums bit for bit, stop at the same index, and keep
 * doing so when the arena is full (histograms then fall back to plain arrays), when slots
 * are reused after a re-bin, and through IfmrAccumulator's results.
 */
import { IfmrAccumulator } from '../../src/calib';
import type { IfmrAccumulatorOptions } from '../../src/calib';
import { binArena, newBinArena } from '../../src/calib/bin-arena';
import type { BinArena } from '../../src/calib/bin-arena';
import { MomentHistogram } from '../../src/calib/moment-histogram';
import { TopK } from '../../src/calib/tails';
import { reserveBytes } from '../../src/wasm/host';
import { activation, batches, rng } from './dist';

const BINS = 1024;

/** The float32 just above and below x. */
function neighbours(x: number): number[] {
  const f = new Float32Array([x]);
  const bits = new Int32Array(f.buffer);
  const up = new Float32Array(new Int32Array([bits[0] + (x >= 0 ? 1 : -1)]).buffer)[0];
  const down = new Float32Array(new Int32Array([bits[0] - (x > 0 ? 1 : -1)]).buffer)[0];
  return [down, Math.fround(x), up];
}

/** Values on and next to bin edges (width 2^-6 for [-4, 12] in 1024 bins), zeros of both signs, subnormals, and a spread. */
function edgeBatch(): Float32Array {
  const out: number[] = [0, -0, 1e-40, -1e-40, 1.4e-45, 2 ** -126];
  for (let k = -200; k <= 700; k += 7) out.push(...neighbours(k / 64));
  const u = rng(11);
  for (let i = 0; i < 5000; i++) out.push((u() - 0.25) * 16 * u());
  return Float32Array.from(out);
}

interface Fed {
  hist: MomentHistogram;
  stops: number[];
}

/**
 * Feeds `all` through addWithTails with tails of capacity 8, recording every stop, re-ranging
 * past values outside the window as IfmrAccumulator does (non-finite values are skipped).
 */
function feed(all: Float32Array[], arena: BinArena | undefined): Fed {
  const hist = new MomentHistogram(BINS, undefined, arena);
  const top = new TopK(8);
  const bottom = new TopK(8);
  const stops: number[] = [];
  for (const b of all) {
    const finite = b.filter((x) => Number.isFinite(x));
    let [lo, hi] = [Infinity, -Infinity];
    // The first batch is ranged whole (binned in one go), later ones by their head (they stop and re-range).
    for (const x of b === all[0] ? finite : finite.subarray(0, 64)) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
    hist.ensureRange(lo, hi);
    let i = 0;
    for (;;) {
      i = hist.addWithTails(b, top, bottom, i);
      stops.push(i);
      if (i === b.length) break;
      if (!Number.isFinite(b[i])) {
        i++; // rejected by the caller in real use; here just stepped over
        continue;
      }
      hist.ensureRange(Math.min(lo, b[i]), Math.max(hi, b[i]));
    }
  }
  return { hist, stops };
}

function same(a: Fed, b: Fed): void {
  expect(b.stops).toEqual(a.stops);
  const [sa, sb] = [a.hist.state(), b.hist.state()];
  expect({ ...sb, bins: undefined }).toEqual({ ...sa, bins: undefined });
  // Bit for bit: Object.is tells −0 from 0, and the arrays are compared whole.
  expect(Buffer.from(sb.bins.buffer, sb.bins.byteOffset, sb.bins.byteLength).equals(Buffer.from(sa.bins.buffer, sa.bins.byteOffset, sa.bins.byteLength))).toBe(true);
}

const arena = binArena();

describe('binning on WebAssembly', () => {
  test('the default arena exists on this Node (WebAssembly is there), with the SIMD kernel', () => {
    expect(arena).toBeDefined();
    expect(arena!.simd).toBe(true);
    expect(newBinArena(undefined, { simd: false })!.simd).toBe(false);
  });

  describe.each([
    ['SIMD', true],
    ['scalar', false],
  ])('the %s kernel', (_, simd) => {
    const own = newBinArena(undefined, { simd })!;

    test('bin edges, ±0, subnormals, NaN and ±Inf: same bins, same stops', () => {
      const b = edgeBatch();
      [b[100], b[2001], b[3002], b[4003]] = [NaN, Infinity, -Infinity, NaN];
      const data = [b, edgeBatch().map((x) => x * 3)];
      const js = feed(data, undefined);
      const wasm = feed(data, own);
      same(js, wasm);
      for (const at of [100, 2001, 3002, 4003]) expect(wasm.stops).toContain(at);
    });

    test('a stop at each of the four values of a step, from every start and to every end: the kernel returns the scalar loop\'s index', () => {
      // The SIMD build bins four values per step and leaves a step with a stop to the scalar
      // loop that follows it. Tails without limits (as MomentHistogram.add has) keep the
      // kernel binning, so every value here goes through it up to the stop.
      const probe = new MomentHistogram(BINS);
      probe.ensureRange(0, 4);
      const { start, width } = probe.state();
      const [first, end] = [start * width, (start + BINS) * width]; // the window [first, end)
      const stoppers = [end, first - width / 1024, NaN, Infinity, -Infinity]; // the window's upper edge is outside it
      const noTails = { limit: Infinity } as TopK;
      const scalar = newBinArena(undefined, { simd: false })!;
      const u = rng(3);
      for (let len = 0; len <= 13; len++) {
        for (let from = 0; from <= Math.min(len, 4); from++) {
          for (let bad = -1; bad < len; bad++) {
            for (const stopper of bad >= 0 ? stoppers : [0]) {
              const b = Float32Array.from({ length: len }, (_, i) => (i % 5 === 4 ? Math.fround(end - width) : first + u() * (end - first) * 0.999));
              if (bad >= 0) b[bad] = stopper;
              // What the kernel itself returns, on this build and on the scalar one.
              const returned = [own, scalar].map((arena) => {
                const h = new MomentHistogram(BINS, undefined, arena);
                h.ensureRange(0, 4);
                const spy = jest.spyOn(arena, 'bin');
                try {
                  h.addWithTails(b, noTails, noTails, from);
                  return spy.mock.results.map((r) => r.value as number);
                } finally {
                  spy.mockRestore();
                }
              });
              const want = bad >= from ? bad : len;
              expect(returned[0]).toEqual([want]);
              expect(returned[1]).toEqual([want]);
              const hists = [new MomentHistogram(BINS), new MomentHistogram(BINS, undefined, own)];
              const stops = hists.map((h) => {
                h.ensureRange(0, 4);
                return h.addWithTails(b, noTails, noTails, from);
              });
              expect(stops).toEqual([want, want]);
              same({ hist: hists[0], stops: [] }, { hist: hists[1], stops: [] });
            }
          }
        }
      }
    });

    test('values of one bin in a row add up in their order (sums bit for bit, not just close)', () => {
      // Away from 0 a bin's sum is exact in any order (its values minus the left edge are
      // multiples of one float32 ulp); in the bins on either side of 0 values of every
      // exponent meet and the order of the additions shows. Runs of them, within a step and across steps.
      const u = rng(8);
      const tiny = () => (u() - 0.5) * 2 ** -8 * 2 ** -Math.floor(u() * 40);
      const b = Float32Array.from({ length: 4099 }, (_, i) => (i % 37 < 23 ? tiny() : (u() - 0.5) * 8));
      const plain = feed([b], undefined);
      const orderless = plain.hist.state().bins.slice();
      same(plain, feed([b], own));
      // The data can tell the order: the same values summed backwards give other bits.
      const reversed = feed([b.slice().reverse()], undefined).hist.state().bins;
      expect(Buffer.from(reversed.buffer).equals(Buffer.from(orderless.buffer))).toBe(false);
    });
  });

  test('bin edges, ±0, subnormals and a spread: same bins, same stops', () => {
    const data = [edgeBatch(), edgeBatch().map((x) => x * 3)];
    const js = feed(data, undefined);
    const wasm = feed(data, arena);
    same(js, wasm);
    expect(js.hist.total).toBeGreaterThan(10000);
    expect(js.stops.length).toBeGreaterThan(4); // tails and re-bins made it stop and resume
  });

  test('NaN and ±Inf stop the loop at their index', () => {
    const b = edgeBatch();
    b[100] = NaN;
    b[2000] = Infinity;
    b[3000] = -Infinity;
    const js = feed([b], undefined);
    const wasm = feed([b], arena);
    same(js, wasm);
    for (const at of [100, 2000, 3000]) expect(wasm.stops).toContain(at);
  });

  test.each(['relu', 'relu6', 'gaussian', 'laplace', 'mixture'])('%s batches through IfmrAccumulator: same state and result as in JavaScript', (kind) => {
    const data = batches(activation(kind, rng(kind.length)), [24000, 9000, 31000]);
    data[2] = data[2].map((x) => x * 5); // a re-bin in the last batch
    const options: IfmrAccumulatorOptions = { maxPercentile: 0.999, minPercentile: 0.999, searchRange: [0.7, 1.3], searchStep: 0.01, asymmetric: true, batchNum: 3, layer: 'conv1' };
    const wasm = new IfmrAccumulator(options);
    let js: IfmrAccumulator | undefined;
    jest.isolateModules(() => {
      process.env.AMCT_WASM_BINNING = '0';
      try {
        const calib = require('../../src/calib') as typeof import('../../src/calib');
        js = new calib.IfmrAccumulator(options);
      } finally {
        delete process.env.AMCT_WASM_BINNING;
      }
    });
    for (const b of data) {
      wasm.add(b);
      js!.add(b);
    }
    const [sw, sj] = [wasm.state().hist, js!.state().hist];
    expect(Array.from(sw.bins)).toEqual(Array.from(sj.bins));
    expect(wasm.result()).toEqual(js!.result());
  });

  test('a full arena: new histograms, re-bins and large batches go on in JavaScript, with the same bins', () => {
    // Room for one 1024-bin histogram (16 KiB) and a 4 KiB batch, not more.
    const small = newBinArena(20 * 1024 + 128)!;
    const data = [edgeBatch().subarray(0, 900), edgeBatch().map((x) => x * 4)];
    const first = feed(data, small); // its slot, then a batch too large to stage, then a re-bin with no room
    const second = feed(data, small); // the slot the first gave up at its re-bin, then the same again
    expect([first.hist.inArena, second.hist.inArena]).toEqual([false, false]);
    const js = feed(data, undefined);
    same(js, first);
    same(js, second);
  });

  test('a memory the engine will not grow (memory.grow throws RangeError): what does not fit goes on in JavaScript, with the same bins', () => {
    const refuse = () => {
      throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
    };
    const stuck = { buffer: new ArrayBuffer(65536), grow: refuse };
    expect([reserveBytes(stuck, 65536), reserveBytes(stuck, 65537)]).toEqual([true, false]);

    const own = newBinArena()!;
    const grow = jest.spyOn(own.memory, 'grow').mockImplementation(refuse);
    try {
      // One page (64 KiB): the first histograms' slots (16 KiB each) and the staged batch fit, later ones do not.
      const data = [edgeBatch(), edgeBatch().map((x) => x * 4)];
      const fed = [0, 1, 2, 3].map(() => feed(data, own));
      expect(grow).toHaveBeenCalled();
      expect(own.bytes).toBe(65536);
      expect(fed.map((f) => f.hist.inArena)).toContain(true);
      expect(fed.map((f) => f.hist.inArena)).toContain(false);
      const js = feed(data, undefined);
      for (const f of fed) same(js, f);
    } finally {
      grow.mockRestore();
    }
  });

  test('state() hands over plain bins and frees the slot at once: the next histogram takes it, and the first goes on in JavaScript', () => {
    const own = newBinArena(16 * BINS + 64 + 8192)!; // one slot and a small staging area
    const data = [edgeBatch().subarray(0, 1000), edgeBatch().subarray(1000, 2000)];
    const moved = feed([data[0]], own).hist;
    const bytes = own.bytes;
    const state = moved.state();
    expect(moved.inArena).toBe(false);
    const next = feed(data, own); // takes the freed slot: the arena has room for no other
    expect(next.hist.inArena).toBe(true);
    expect(own.bytes).toBe(bytes);
    moved.add(data[1].filter((x) => x >= -4 && x < 12)); // within the window: no re-range needed
    const plain = feed([data[0]], undefined).hist;
    plain.add(data[1].filter((x) => x >= -4 && x < 12));
    same({ hist: plain, stops: [] }, { hist: moved, stops: [] });
    expect(state.bins).toBe(moved.state().bins); // shared, as a plain histogram's are
    same(feed(data, undefined), next);
  });

  test('slots freed by re-bins are reused without one histogram writing into another', () => {
    const own = newBinArena()!;
    const u = rng(5);
    const grow = (scale: number) => Float32Array.from({ length: 3000 }, () => (u() - 0.5) * scale);
    const data = [grow(1), grow(8), grow(64), grow(512)];
    // Two histograms re-binned in turn: each re-bin frees a slot the other's next re-bin takes.
    const pairs = [new MomentHistogram(BINS, undefined, own), new MomentHistogram(BINS, undefined, own)];
    const plain = [new MomentHistogram(BINS), new MomentHistogram(BINS)];
    for (const b of data) {
      let [lo, hi] = [Infinity, -Infinity];
      for (const x of b) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
      for (const h of [...pairs, ...plain]) {
        h.ensureRange(lo, hi);
        h.add(b);
      }
    }
    for (let k = 0; k < 2; k++) same({ hist: plain[k], stops: [] }, { hist: pairs[k], stops: [] });
    expect(pairs[0].binWidth).toBeGreaterThan(plain[0].binWidth / 2 ** 10); // it did re-bin: the width grew with the data
    expect(pairs[0].binWidth).toBe(plain[0].binWidth);
  });

  test('the shared arena is let go 2 s after its last histogram is freed, and the next histogram gets a new one', () => {
    // A fresh module: histograms of the tests above may still hold slots of this file's arena.
    let binArena!: typeof import('../../src/calib/bin-arena').binArena;
    let currentBinArena!: typeof import('../../src/calib/bin-arena').currentBinArena;
    let MomentHistogram!: typeof import('../../src/calib/moment-histogram').MomentHistogram;
    jest.isolateModules(() => {
      ({ binArena, currentBinArena } = require('../../src/calib/bin-arena'));
      ({ MomentHistogram } = require('../../src/calib/moment-histogram'));
    });
    const first = binArena()!;
    const histograms = [new MomentHistogram(BINS, undefined, first), new MomentHistogram(BINS, undefined, first)];
    histograms[0].state(); // freed: one left
    expect(currentBinArena()).toBe(first);
    jest.useFakeTimers();
    try {
      histograms[1].state(); // empty for a moment, then used again: kept
      const again = new MomentHistogram(BINS, undefined, binArena());
      expect(again.inArena).toBe(true);
      jest.advanceTimersByTime(2100);
      expect(currentBinArena()).toBe(first);
      again.state(); // the last one
      jest.advanceTimersByTime(1900);
      expect(currentBinArena()).toBe(first); // kept a while: layers move between threads
      jest.advanceTimersByTime(200);
    } finally {
      jest.useRealTimers();
    }
    expect(currentBinArena()).toBeUndefined();
    const next = binArena()!;
    expect(next).not.toBe(first);
    const h = new MomentHistogram(BINS, undefined, next);
    expect(h.inArena).toBe(true);
    h.ensureRange(0, 1);
    h.add(Float32Array.from([0.25, 0.5]));
    expect(h.total).toBe(2);
  });
});
