/**
 * The CI-sized fuzz budget: a few hundred seeded cases of one target, in this process.
 * Every case must end normally or with a typed AmctError carrying a code and a hint,
 * leave its input files as they were, and stay within generous time and memory bounds
 * (hang and blow-up detectors, not benchmarks: bench/ measures speed). A failure lists
 * the case indices; replay one with `npm run fuzz -- --target NAME --seed 1 --from I --cases 1`.
 */
import { runCampaign } from '../../fuzz/harness';
import { TARGETS } from '../../fuzz/targets';

export const CI_SEED = 1;

export function fuzzTest(name: string, cases: number): void {
  test(`${name}: ${cases} mutated inputs give typed errors only, leave inputs untouched, stay within bounds`, async () => {
    const target = TARGETS.find((t) => t.name === name);
    expect(target).toBeDefined();
    // 10 s and 512 MB per case: far above what any case needs (max ~0.4 s alone), so only a hang or a blow-up trips them on a loaded CI machine.
    const stats = await runCampaign(target!, { seed: CI_SEED, cases, timeMs: 10_000, rssMB: 512 });
    expect(stats.failures).toEqual([]);
    expect(stats.cases).toBe(cases);
    expect(stats.counts.ok + stats.counts.typed).toBe(cases);
    expect(stats.counts.typed).toBeGreaterThan(cases / 4); // the mutations do reach the error paths
  });
}
