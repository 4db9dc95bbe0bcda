/**
 * Mutations of real inputs: bytes (bit flips, truncation, length-prefix inflation,
 * splices), text (deep nesting, extreme numbers, line edits) and JSON values (a value
 * replaced by one of another type or size). Each takes the generator of its case, so a
 * case is rebuilt exactly from (seed, target, index).
 */
import { int, pick } from './rng';

type Rand = () => number;
export type ByteMutation = (base: Uint8Array, rand: Rand, positions?: readonly number[]) => Uint8Array;

const cat = (...parts: ArrayLike<number>[]): Uint8Array => new Uint8Array(Buffer.concat(parts.map((p) => Uint8Array.from(p))));

/** A byte position: mostly among `positions` (tags and lengths) when given, else anywhere. */
function position(base: Uint8Array, rand: Rand, positions?: readonly number[]): number {
  if (positions && positions.length > 0 && rand() < 0.8) return positions[int(rand, positions.length)];
  return int(rand, base.length + 1);
}

/** Varints a length prefix may be inflated to: 2^32-1, 2^64-1 and 2^31. */
const HUGE_VARINTS = [[0xff, 0xff, 0xff, 0xff, 0x0f], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0x80, 0x80, 0x80, 0x80, 0x08]];

/** Largest mutated input: the bounds promised are for inputs of at most 1 MiB. */
export const MAX_INPUT_BYTES = 2 ** 20;

/** Each mutation's result cut to MAX_INPUT_BYTES (a truncation is one more mutation). */
function capped<M extends (...args: never[]) => Uint8Array | string>(table: Record<string, M>): Record<string, M> {
  return Object.fromEntries(Object.entries(table).map(([name, m]) => [name, ((...args: Parameters<M>) => m(...args).slice(0, MAX_INPUT_BYTES)) as M]));
}

export const BYTE_MUTATIONS: Record<string, ByteMutation> = capped<ByteMutation>({
  bitFlips: (base, rand, pos) => {
    const b = base.slice();
    if (b.length === 0) return b;
    for (let k = 1 + int(rand, 8); k > 0; k--) b[Math.min(b.length - 1, position(base, rand, pos))] ^= 1 << int(rand, 8);
    return b;
  },
  truncation: (base, rand, pos) => base.slice(0, position(base, rand, pos)),
  lengthInflation: (base, rand, pos) => {
    const at = position(base, rand, pos);
    return cat(base.subarray(0, at), [0x0a, ...pick(rand, HUGE_VARINTS)], base.subarray(at));
  },
  overwriteLength: (base, rand, pos) => {
    const b = base.slice();
    const at = Math.min(position(base, rand, pos), b.length);
    b.set([0xfe, 0xff, 0xff, 0x7f].slice(0, Math.max(0, b.length - at)), at);
    return b;
  },
  randomSplice: (base, rand, pos) => {
    const at = position(base, rand, pos);
    const junk = Uint8Array.from({ length: 1 + int(rand, 64) }, () => int(rand, 256));
    return cat(base.subarray(0, at), junk, base.subarray(Math.min(base.length, at + int(rand, 64))));
  },
  selfSplice: (base, rand) => {
    // a run of the file copied elsewhere in it: repeated fields, nodes with duplicated names
    const from = int(rand, base.length + 1);
    const len = int(rand, Math.min(4096, base.length - from) + 1);
    const at = int(rand, base.length + 1);
    return cat(base.subarray(0, at), base.subarray(from, from + len), base.subarray(at));
  },
  randomBytes: (_base, rand) => Uint8Array.from({ length: int(rand, 4096) }, () => int(rand, 256)),
});

/** Numbers a hostile file puts where a small one is expected. */
export const EXTREME_NUMBERS = ['0', '-1', '1e308', '-1e308', '1e-320', '9e18', '2147483648', '4294967296', '9007199254740993', '3.5', 'NaN', 'inf', '-0', '1e400', '0x7fffffff', '99999999999999999999'];

export type TextMutation = (text: string, rand: Rand) => string;

/** Deep nesting: `open` repeated thousands of times (and closed, or not), spliced in at a line start. */
function nest(text: string, rand: Rand, open: string, close: string): string {
  const depth = pick(rand, [50, 1000, 10_000, 40_000]);
  const lines = text.split('\n');
  const at = int(rand, lines.length + 1);
  const body = open.repeat(depth) + (rand() < 0.7 ? close.repeat(depth) : '');
  return [...lines.slice(0, at), body, ...lines.slice(at)].join('\n');
}

export const TEXT_MUTATIONS: Record<string, TextMutation> = capped<TextMutation>({
  nestBraces: (t, r) => nest(t, r, pick(r, ['a {', 'common_config {', 'record { value {', '{', '[', 'x: [']), pick(r, ['}', '} }', ']'])),
  extremeNumber: (t, r) => {
    const numbers = [...t.matchAll(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi)];
    if (numbers.length === 0) return t;
    const m = pick(r, numbers);
    return t.slice(0, m.index!) + pick(r, EXTREME_NUMBERS) + t.slice(m.index! + m[0].length);
  },
  duplicateLines: (t, r) => {
    const lines = t.split('\n');
    const from = int(r, lines.length);
    const n = 1 + int(r, 20);
    const chunk = lines.slice(from, from + n);
    const chunkBytes = chunk.reduce((k, l) => k + l.length + 1, 0);
    const times = Math.min(pick(r, [1, 2, 100, 5000]), Math.floor(MAX_INPUT_BYTES / Math.max(1, chunkBytes)));
    return [...lines.slice(0, from), ...Array.from({ length: times }, () => chunk).flat(), ...lines.slice(from)].join('\n');
  },
  deleteLines: (t, r) => {
    const lines = t.split('\n');
    const from = int(r, lines.length);
    lines.splice(from, 1 + int(r, 5));
    return lines.join('\n');
  },
  truncate: (t, r) => t.slice(0, int(r, t.length + 1)),
  punctuation: (t, r) => {
    const at = int(r, t.length + 1);
    return t.slice(0, at) + pick(r, ['{', '}', '"', ':', '[', ']', ',', '\\', '#', '<', '\u0000', '\ufffd', '\n']) + t.slice(at + int(r, 2));
  },
  longString: (t, r) => {
    const at = int(r, t.length + 1);
    return t.slice(0, at) + `"${'a'.repeat(pick(r, [1000, 100_000]))}"` + t.slice(at);
  },
});

/** Values a JSON field may be replaced with: other types, extreme sizes, deep nesting. */
function hostileValue(rand: Rand): unknown {
  switch (int(rand, 12)) {
    case 0: return null;
    case 1: return pick(rand, [0, -1, 1e308, -1e308, 5e-324, 2 ** 31, 2 ** 53 + 2, 9e18, 0.5]);
    case 2: return pick(rand, ['', 'x', 'DT_FLOAT', 'NaN', '-1', '9e18', 'my%20shard.bin', '../outside.bin', 'a'.repeat(10_000)]);
    case 3: return [];
    case 4: return {};
    case 5: return true;
    case 6: return [pick(rand, [1, 'a', null, {}]), 2, 3];
    case 7: return { size: pick(rand, ['-5', '9999999999', 'abc', 1e12]) };
    case 8: return { dim: pick(rand, [{}, 'x', 7, [{ size: '1e9' }, { size: '1e9' }]]) };
    case 9: return nestedJson(pick(rand, [100, 10_000]));
    case 10: return Array.from({ length: pick(rand, [1000, 50_000]) }, () => 1);
    default: return { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '100000' }, { size: '100000' }] }, floatVal: [1] } };
  }
}

/** [[[...]]] built iteratively (a recursive builder would overflow on the depths used). */
export function nestedJson(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** All (parent, key) slots of a JSON value, breadth-first, at most `limit`. */
function slots(root: unknown, limit = 20_000): [Record<string, unknown> | unknown[], string | number][] {
  const out: [Record<string, unknown> | unknown[], string | number][] = [];
  const queue: unknown[] = [root];
  for (let q = 0; q < queue.length && out.length < limit; q++) {
    const v = queue[q];
    if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), queue.push(x)));
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) out.push([v as Record<string, unknown>, k]), queue.push((v as Record<string, unknown>)[k]);
  }
  return out;
}

/** Replaces, deletes or nests one to four values of a parsed JSON document (in place). */
export function mutateJsonValue(root: unknown, rand: Rand): void {
  const all = slots(root);
  if (all.length === 0) return;
  for (let k = 1 + int(rand, 4); k > 0; k--) {
    const [parent, key] = pick(rand, all);
    const op = int(rand, 5);
    if (op === 0 && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[key];
    else if (op === 1) (parent as Record<string | number, unknown>)[key] = nestedJson(int(rand, 3) ? 50 : 10_000);
    else (parent as Record<string | number, unknown>)[key] = hostileValue(rand);
  }
}

/** Serializes what may be nested too deep for JSON.stringify's recursion: such a case falls back to text. */
export function stringifyOr(value: unknown, fallback: string): string {
  try {
    return JSON.stringify(value);
  } catch {
    return fallback;
  }
}
