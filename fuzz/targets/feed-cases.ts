/**
 * Random, mostly hostile Session feeds for the feeds fuzz target, drawn from a seeded
 * uniform rng so that a case index replays exactly. Sizes stay small (at most a few
 * thousand values): the target is about validation, not memory.
 */
import * as tf from '@tensorflow/tfjs-core';
import { int as below, pick } from '../rng';

export type Rng = () => number;

/** An integer in [lo, hi]. */
const int = (rng: Rng, lo: number, hi: number) => lo + below(rng, hi - lo + 1);

/** A placeholder the target can feed: its name, declared shape (-1 = any) and tfjs dtype. */
export interface FeedSlot {
  name: string;
  dims: number[];
  dtype: 'float32' | 'int32';
}

const ODD_NUMBERS = [NaN, Infinity, -Infinity, -0, 1e308, -1e-320, 2 ** 31, -(2 ** 31) - 1, 0.5];
const ODD_ELEMENTS: unknown[] = ['1', '', null, undefined, {}, [], true, 1n, Symbol.iterator];
const DTYPES: unknown[] = ['float32', 'int32', 'bool', 'string', 'complex64', 'float64', 'int8', '', 7, null, { dtype: 'float32' }];

/** A shape for the slot: usually right, sometimes wrong in rank, size, sign or kind. */
export function shapeFor(rng: Rng, slot: FeedSlot): unknown {
  const right = slot.dims.map((d) => (d >= 0 ? d : int(rng, 0, 4)));
  const r = rng();
  if (r < 0.55) return right;
  if (r < 0.65) return [...right, 1];
  if (r < 0.72) return right.slice(1);
  if (r < 0.8) return right.map((d) => d + int(rng, -2, 2));
  if (r < 0.85) return [2 ** 20, 2 ** 20, 2 ** 12];
  return pick(rng, [[-1, 2], [1.5, 2], [NaN], 'x', null, undefined, [], [[1, 2]], { length: 2 }, [2 ** 53, 2]]);
}

/** Elements of a plain array: mostly numbers, sometimes odd ones, strings or booleans. */
function plainValues(rng: Rng, n: number): unknown[] {
  const mode = rng();
  return Array.from({ length: n }, () => {
    if (mode < 0.1) return String(int(rng, 0, 9));
    if (mode < 0.15) return rng() < 0.5;
    if (rng() < 0.05) return pick(rng, mode < 0.4 ? ODD_NUMBERS : ODD_ELEMENTS);
    return rng() * 10 - 5;
  });
}

/** A data container of n values (n may not match the shape). */
function dataOf(rng: Rng, n: number): unknown {
  const values = Array.from({ length: n }, () => (rng() < 0.03 ? pick(rng, ODD_NUMBERS) : rng() * 200 - 100));
  switch (int(rng, 0, 13)) {
    case 0: case 1: case 2: return Float32Array.from(values);
    case 3: return Float64Array.from(values);
    case 4: case 5: return Int32Array.from(values);
    case 6: return Int8Array.from(values);
    case 7: return Uint8Array.from(values);
    case 8: return Uint16Array.from(values);
    case 9: return BigInt64Array.from(values, (v) => BigInt(Number.isFinite(v) ? Math.trunc(v) : 0));
    case 10: return Uint8ClampedArray.from(values);
    case 11: return plainValues(rng, n);
    case 12: return pick(rng, ['1,2,3', null, undefined, 42, { length: n }, new ArrayBuffer(n * 4), new DataView(new ArrayBuffer(4))]);
    default: return values;
  }
}

function countOf(shape: unknown): number {
  if (!Array.isArray(shape)) return 3;
  const n = shape.reduce((a: number, d) => a * (typeof d === 'number' && d >= 0 ? d : 1), 1);
  return n <= 4096 ? n : 3; // claimed sizes beyond that get a few values: the mismatch is the point
}

/** A raw feed { data, shape, dtype? }, a tf.Tensor, or something that is neither. */
export function feedValue(rng: Rng, slot: FeedSlot, made: tf.Tensor[]): unknown {
  const r = rng();
  const shape = shapeFor(rng, slot);
  const n = countOf(shape) + (rng() < 0.1 ? int(rng, -1, 1) : 0);
  if (r < 0.2 && Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0 && d < 4096) && countOf(shape) <= 4096) {
    const t = tf.tensor(Float32Array.from({ length: countOf(shape) }, () => rng()), shape as number[], rng() < 0.8 ? slot.dtype : pick(rng, ['float32', 'int32', 'bool'] as const));
    made.push(t);
    if (rng() < 0.1) t.dispose();
    return t;
  }
  if (r < 0.25) return pick(rng, [null, undefined, 0, 'x', [], { data: null }, { shape: [1] }, Symbol('feed')]);
  const value: Record<string, unknown> = { data: dataOf(rng, Math.max(0, n)), shape };
  if (rng() < 0.3) value.dtype = pick(rng, DTYPES);
  return value;
}

/** A feed name: usually a placeholder's, sometimes an output index, an unknown node or a malformed name. */
export function feedName(rng: Rng, slot: FeedSlot, nodes: string[]): string {
  const r = rng();
  if (r < 0.75) return rng() < 0.2 ? `${slot.name}:0` : slot.name;
  if (r < 0.82) return `${slot.name}:${int(rng, 1, 3)}`;
  if (r < 0.9) return pick(rng, nodes);
  return pick(rng, ['', '^x', 'nope', ':1', 'x:-1', 'x:01', 'a:b:c', '__proto__', 'constructor', 'x\u0000']);
}
