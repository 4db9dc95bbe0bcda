/**
 * The Session feeds fuzz target (fuzz/targets/feeds.ts) for a CI-sized budget: 300
 * seeded cases, each replayable from its index. Every case must return or throw an
 * AmctError with a code; the target itself checks that feeds are untouched, no tensor
 * is left behind and the session still computes its reference output afterwards.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AmctError } from '../../src/errors';
import { feedsTarget } from '../../fuzz/targets/feeds';
import { rng } from '../helpers/random';

const CASES = 300;
const SEED = 0x11feed;

test(`${CASES} random feeds: typed errors only, feeds untouched, backend still usable`, async () => {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'amct-fuzz-feeds-'));
  const codes = new Map<string, number>();
  const failures: string[] = [];
  let passed = 0;
  try {
    await feedsTarget.setup?.();
    for (let i = 0; i < CASES; i++) {
      try {
        await feedsTarget.runCase(rng(SEED + i), i, dir);
        passed++;
      } catch (e) {
        if (e instanceof AmctError) codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        else failures.push(`case ${i}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  } finally {
    await feedsTarget.teardown?.();
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
  console.log(`${CASES} cases: ${passed} ran, typed errors ${JSON.stringify(Object.fromEntries(codes))}, other failures ${failures.length}`);
  expect(failures).toEqual([]);
  // the cases must reach both outcomes and the main feed checks, or the target tests nothing
  expect(passed).toBeGreaterThan(CASES / 10);
  for (const code of ['FEED_UNKNOWN', 'FEED_SHAPE_MISMATCH', 'FEED_DTYPE_MISMATCH']) expect(codes.get(code)).toBeGreaterThan(0);
});
