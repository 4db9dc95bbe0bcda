/**
 * An accumulator handed to another thread part-way (its `state()`, structured-cloned with
 * its arrays transferred, as runtime/statistics does) must go on exactly as if it had never
 * moved: the same search input and the same scale/offset, bit for bit, whatever batch it
 * moved at, with tails that overflowed, a later batch that widens the histogram, and a
 * rejected batch after the move.
 */
import { CalibrationError } from '../../src/errors';
import { HfmgAccumulator, IfmrAccumulator } from '../../src/calib';
import type { HfmgParams, IfmrAccumulatorOptions } from '../../src/calib';
import type { TopKState } from '../../src/calib/tails';
import { buildAccumulator, stateBuffers } from '../../src/runtime/statistics/protocol';
import type { AccumulatorSpec, AccumulatorState } from '../../src/runtime/statistics/protocol';
import { activation, batches, rng } from './dist';

const SIZES = [24000, 9000, 31000, 15000, 27000, 6000];

/** Batches from `kind`, the fourth scaled up so it falls outside the histogram's window (a re-bin after the move). */
function data(kind: string, seed: number): Float32Array[] {
  const b = batches(activation(kind, rng(seed)), SIZES);
  b[3] = b[3].map((x) => x * 7);
  return b;
}

/** What crossing to a thread does to a state: a structured clone that takes the arrays over. */
function moved(state: AccumulatorState): AccumulatorState {
  return structuredClone(state, { transfer: stateBuffers(state) });
}

function ifmrSpec(extra: Partial<IfmrAccumulatorOptions> = {}): AccumulatorSpec {
  return { algo: 'ifmr', options: { maxPercentile: 0.999, minPercentile: 0.999, searchRange: [0.7, 1.3], searchStep: 0.01, asymmetric: true, batchNum: SIZES.length, layer: 'conv1', ...extra } };
}

function hfmgSpec(extra: Partial<HfmgParams> = {}): AccumulatorSpec {
  return { algo: 'hfmg', options: { asymmetric: true, numBins: 2048, layer: 'conv1', ...extra } };
}

/**
 * A state as plain arrays, each tail's kept values sorted. Plain arrays: structuredClone
 * makes typed arrays of Node's realm, which toEqual tells from jest's. Sorted: quickselect's
 * pivots come from a generator shared by the process, so the order inside a tail buffer
 * depends on what ran before, and so does which of several values equal to the threshold
 * it keeps (0 or −0, equal as numbers). `saved` only matters within a batch.
 */
function comparable(state: AccumulatorState): unknown {
  if (!('hist' in state)) return { ...state, counts: Array.from(state.counts) };
  const tail = (t: TopKState) => ({ capacity: t.capacity, len: t.len, threshold: t.threshold, dropped: t.dropped, kept: Array.from(t.buf.subarray(0, t.len), (x) => x + 0).sort((a, b) => a - b) });
  return { hist: { ...state.hist, bins: Array.from(state.hist.bins) }, batches: state.batches, tails: state.tails && { top: tail(state.tails.top), bottom: tail(state.tails.bottom) } };
}

/** Feeds every batch, moving the accumulator to a "thread" before batch `at`. */
function feedMovingAt(spec: AccumulatorSpec, all: Float32Array[], at: number): IfmrAccumulator | HfmgAccumulator {
  let acc = buildAccumulator(spec);
  all.forEach((b, i) => {
    if (i === at) acc = buildAccumulator(spec, moved(acc.state()));
    acc.add(b);
  });
  return acc;
}

const specs: [string, AccumulatorSpec][] = [
  ['IFMR', ifmrSpec()],
  ['IFMR, tails that overflowed', ifmrSpec({ maxTailCapacity: 64 })],
  ['IFMR, 0.999999', ifmrSpec({ maxPercentile: 0.999999, minPercentile: 0.999999 })],
  ['HFMG', hfmgSpec()],
];

describe.each(specs)('%s moved to another thread part-way', (_name, spec) => {
  test.each(['relu', 'gaussian', 'mixture'])('%s: same result whatever batch it moves at', (kind) => {
    const all = data(kind, kind.length * 31);
    const stay = feedMovingAt(spec, all, -1);
    for (let at = 0; at < all.length; at++) {
      const move = feedMovingAt(spec, all, at);
      expect(move.batchesSeen).toBe(all.length);
      expect(comparable(move.state())).toEqual(comparable(stay.state()));
      expect(move.result()).toEqual(stay.result());
      if (!(stay instanceof IfmrAccumulator)) continue;
      expect((move as IfmrAccumulator).searchInput()).toEqual(stay.searchInput());
      expect((move as IfmrAccumulator).tailsExact()).toBe(stay.tailsExact());
    }
  });

  test('a batch rejected after the move leaves it as it was', () => {
    const all = data('gaussian', 5);
    const stay = feedMovingAt(spec, all, -1);
    let acc = buildAccumulator(spec);
    all.slice(0, 2).forEach((b) => acc.add(b));
    acc = buildAccumulator(spec, moved(acc.state()));
    const bad = all[2].slice();
    bad[bad.length - 1] = NaN;
    expect(() => acc.add(bad)).toThrow(CalibrationError);
    all.slice(2).forEach((b) => acc.add(b));
    expect(acc.result()).toEqual(stay.result());
  });
});

test('an accumulator moved before its first batch starts empty', () => {
  const acc = buildAccumulator(ifmrSpec(), moved(new IfmrAccumulator(ifmrSpec().options as IfmrAccumulatorOptions).state()));
  expect(acc.batchesSeen).toBe(0);
  expect(acc.memoryBytes()).toBe(new IfmrAccumulator(ifmrSpec().options as IfmrAccumulatorOptions).memoryBytes());
  expect(() => acc.result()).toThrow(/No calibration data/);
});
