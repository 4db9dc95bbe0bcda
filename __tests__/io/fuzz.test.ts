/**
 * Fuzzing the .pb decoder alone: hundreds of mutated copies of a real model (the byte
 * mutations of fuzz/mutate.ts: bit flips, truncations, huge length prefixes, splices,
 * random bytes) must either decode or fail with an AmctError that names the file, each
 * within a generous time bound (no hang, no absurd allocation). The whole .pb flow
 * (load, save, session) is the fuzz suite's "pb" target (__tests__/fuzz/pb.test.ts).
 */
import { BYTE_MUTATIONS } from '../../fuzz/mutate';
import { structurePositions } from '../../fuzz/pb-structure';
import { AmctError } from '../../src/errors';
import { decodeGraphDef, encodeGraphDef, loadGraph } from '../../src/io';
import { humanModel } from '../helpers/models';
import { rng } from '../helpers/random';

/** Tag, length and varint positions of the base model: most mutations hit the structure, not weight bytes. */
const structure: number[] = [];

const CASES_PER_MUTATION = 80;
const BOUND_MS = 1000;

let base: Uint8Array;
beforeAll(async () => {
  base = encodeGraphDef(await loadGraph(humanModel('emotion').path));
  structurePositions(base, 0, base.length, structure);
});

test.each(Object.keys(BYTE_MUTATIONS))('%s: only AmctErrors, each case under a second', (kind) => {
  const problems: string[] = [];
  let worst = 0;
  let decoded = 0;
  for (let i = 0; i < CASES_PER_MUTATION; i++) {
    const seed = kind.length * 100003 + i;
    const input = BYTE_MUTATIONS[kind](base, rng(seed), structure);
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
