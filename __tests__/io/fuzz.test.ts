/**
 * Fuzzing the .pb decoder: hundreds of mutated copies of a real model (bit flips,
 * truncations, huge length prefixes, random bytes) must either decode or fail with an
 * AmctError, each within a generous time bound (no hang, no absurd allocation).
 */
import * as protobuf from 'protobufjs';
import { AmctError } from '../../src/errors';
import { decodeGraphDef, encodeGraphDef, loadGraph } from '../../src/io';
import { humanModel } from '../helpers/models';

import { rng } from '../helpers/random';

type Mutation = (base: Uint8Array, rand: () => number) => Uint8Array;
const cat = (...parts: ArrayLike<number>[]) => Buffer.concat(parts.map((p) => Uint8Array.from(p)));
const int = (rand: () => number, n: number) => Math.floor(rand() * n);
/**
 * Byte positions of tags, lengths and varints, found by parsing every length-delimited
 * payload that parses as a message. Weight bytes (most of the file) are left out:
 * flipping them only changes values, which says nothing about robustness.
 */
function structurePositions(b: Uint8Array, start = 0, end = b.length, out: number[] = []): boolean {
  const r = protobuf.Reader.create(b);
  r.pos = start;
  r.len = end;
  const local: number[] = [];
  const mark = (from: number) => {
    for (let p = from; p < r.pos; p++) local.push(p);
  };
  try {
    while (r.pos < r.len) {
      const at = r.pos;
      const tag = r.uint32();
      if (tag >>> 3 === 0) return false;
      if ((tag & 7) !== 2) {
        r.skipType(tag & 7);
        mark(at);
        continue;
      }
      const n = r.uint32();
      mark(at);
      const payload = r.pos;
      if (payload + n > r.len) return false;
      r.pos += n;
      if (n > 0) structurePositions(b, payload, payload + n, local);
    }
  } catch {
    return false;
  }
  out.push(...local);
  return true;
}

let structure: number[] = [];
const position = (base: Uint8Array, rand: () => number) => (rand() < 0.8 ? structure[int(rand, structure.length)] : int(rand, base.length));

const MUTATIONS: Record<string, Mutation> = {
  bitFlips: (base, rand) => {
    const b = base.slice();
    for (let k = 1 + int(rand, 8); k > 0; k--) b[position(base, rand)] ^= 1 << int(rand, 8);
    return b;
  },
  truncation: (base, rand) => base.slice(0, position(base, rand)),
  hugeLength: (base, rand) => {
    const at = position(base, rand);
    const huge = [[0xff, 0xff, 0xff, 0xff, 0x0f], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0x80, 0x80, 0x80, 0x80, 0x08]][int(rand, 3)];
    return cat(base.subarray(0, at), [0x0a, ...huge], base.subarray(at));
  },
  overwriteLength: (base, rand) => {
    const b = base.slice();
    const at = position(base, rand);
    b.set([0xfe, 0xff, 0xff, 0x7f].slice(0, Math.min(4, b.length - at)), at);
    return b;
  },
  randomSplice: (base, rand) => {
    const at = position(base, rand);
    const junk = Uint8Array.from({ length: 1 + int(rand, 64) }, () => int(rand, 256));
    return cat(base.subarray(0, at), junk, base.subarray(Math.min(base.length, at + int(rand, 64))));
  },
  randomBytes: (_base, rand) => Uint8Array.from({ length: int(rand, 4096) }, () => int(rand, 256)),
};

const CASES_PER_MUTATION = 80;
const BOUND_MS = 1000;

let base: Uint8Array;
beforeAll(async () => {
  base = encodeGraphDef(await loadGraph(humanModel('emotion').path));
  structurePositions(base, 0, base.length, structure);
});

test.each(Object.keys(MUTATIONS))('%s: only AmctErrors, each case under a second', (kind) => {
  const problems: string[] = [];
  let worst = 0;
  let decoded = 0;
  for (let i = 0; i < CASES_PER_MUTATION; i++) {
    const seed = kind.length * 100003 + i;
    const input = MUTATIONS[kind](base, rng(seed));
    const t0 = performance.now();
    try {
      encodeGraphDef(decodeGraphDef(input, `fuzz-${kind}-${i}.pb`));
      decoded++;
    } catch (e) {
      if (!(e instanceof AmctError)) problems.push(`case ${i} (seed ${seed}): ${e instanceof Error ? e.stack : String(e)}`);
      else if (!e.message.includes(`fuzz-${kind}-${i}.pb`) && e.code !== 'INVALID_GRAPH') problems.push(`case ${i}: error does not name the file: ${e.message}`);
    }
    worst = Math.max(worst, performance.now() - t0);
  }
  expect(problems).toEqual([]);
  expect(worst).toBeLessThan(BOUND_MS);
  // Some mutations only change weight bytes and still decode; most must hit the structure.
  expect(decoded).toBeLessThan(CASES_PER_MUTATION * 0.9);
  if (process.env.AMCT_FUZZ_STATS) process.stderr.write(`${kind}: ${decoded} decoded, worst ${worst.toFixed(1)} ms\n`);
});
