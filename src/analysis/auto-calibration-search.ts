/**
 * The search of accuracyBasedAutoCalibration (SPEC §9): which of the candidate layers,
 * ranked most sensitive first, to leave in float so that the evaluator accepts the model,
 * with as few float layers as possible. Pure: a trial (re-calibrate, build the INT8
 * graph, evaluate) comes in as a function of the float layers, so the search is tested
 * on its own against known answers.
 *
 * What is known before the search, and costs no evaluation:
 * - no layer in float (every candidate INT8) was rejected: that is why we search;
 * - every candidate in float is the float model, and metricEval(original, original)
 *   accepted it (checked first). It is never run: a "quantized" model without an INT8
 *   layer is no answer, so when only that one is accepted the search reports none.
 *
 * Strategies, for L candidates:
 * - BinarySearch (default, as AMCT's): the smallest k such that the k most sensitive
 *   layers in float are accepted. Keeps "every k < lo rejected, k = hi accepted" and halves
 *   [lo, hi]: at most ⌈log2 L⌉ trials. It assumes the metric gets no worse as more layers
 *   stay float; when that fails it still returns an accepted k whose k − 1 was rejected.
 * - Sequential: k = 1, 2, ... (AMCT's documented rollback of one more layer per rejected
 *   trial): up to L − 1 trials.
 * - BinarySearchRefine: BinarySearch, then, since the k-th layer is the one that made the
 *   difference, keep it in float and search again, among the k − 1 layers before it, how
 *   many more are needed; repeat until no more are. Each round costs at most
 *   ⌈log2 L⌉ trials and finds one layer that matters (r layers kept: at most
 *   (r + 1)·⌈log2 L⌉ trials), so a ranking that puts a critical
 *   layer late (a score head whose output cosine looks harmless) costs a few more trials
 *   instead of dozens of float layers. Never returns more float layers than BinarySearch,
 *   and may find an answer where BinarySearch finds none (the critical layer ranked last).
 */
import { AutoCalibrationError } from '../errors';

export const STRATEGIES = ['BinarySearch', 'Sequential', 'BinarySearchRefine'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export interface TrialVerdict {
  ok: boolean;
  metric: number;
  loss: number;
}

/** Runs the trial with `floatLayers` in float and every other candidate INT8. */
export type RunTrial = (floatLayers: string[]) => Promise<TrialVerdict>;

export function checkStrategy(strategy: unknown): StrategyName {
  if (strategy === undefined) return 'BinarySearch';
  if (typeof strategy === 'string' && (STRATEGIES as readonly string[]).includes(strategy)) return strategy as StrategyName;
  throw new AutoCalibrationError('INVALID_ARGUMENT', `unknown strategy ${JSON.stringify(strategy)}`, {
    field: 'strategy',
    hint: `use ${STRATEGIES.map((s) => `'${s}'`).join(', ')} (the default is 'BinarySearch', as in AMCT)`,
  });
}

/**
 * The most trials `strategy` runs for `candidates` layers (not counting the float and
 * all-INT8 evaluations); for BinarySearchRefine, per round (one round per layer it keeps
 * in float, plus one).
 */
export function maxTrials(strategy: StrategyName, candidates: number): number {
  if (candidates <= 1) return 0;
  return strategy === 'Sequential' ? candidates - 1 : Math.ceil(Math.log2(candidates));
}

/** The layers to leave in float (in ranking order), or undefined when no quantized model is accepted. */
export async function searchFloatLayers(strategy: StrategyName, ranked: readonly string[], run: RunTrial): Promise<string[] | undefined> {
  if (strategy === 'Sequential') return sequentialSearch(ranked, run);
  const k = await smallestPrefix([], ranked, run, 1);
  if (strategy === 'BinarySearch') return k < ranked.length ? ranked.slice(0, k) : undefined;
  // Even k = L (all float, known accepted) says its last layer is needed: refine from there.
  const kept = await refine(ranked.slice(0, k), run);
  return kept.size < ranked.length ? ranked.filter((l) => kept.has(l)) : undefined;
}

/**
 * The smallest j in [lo, prefix.length] such that `fixed` plus the first j layers of
 * `prefix` in float are accepted, knowing j = prefix.length is (it is never run). For a
 * returned j > lo, j − 1 was run and rejected.
 */
async function smallestPrefix(fixed: readonly string[], prefix: readonly string[], run: RunTrial, lo: number): Promise<number> {
  let hi = prefix.length;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await run([...fixed, ...prefix.slice(0, mid)])).ok) hi = mid;
    else lo = mid + 1;
  }
  return hi;
}

/** Starting from an accepted prefix whose last layer was needed: keep that layer, shorten the rest. */
async function refine(accepted: string[], run: RunTrial): Promise<Set<string>> {
  const fixed: string[] = [];
  let prefix = accepted;
  while (prefix.length > 0) {
    fixed.push(prefix[prefix.length - 1]); // fixed + prefix without it was rejected
    prefix = prefix.slice(0, -1);
    if (prefix.length === 0) break;
    prefix = prefix.slice(0, await smallestPrefix(fixed, prefix, run, 0));
  }
  return new Set(fixed);
}

async function sequentialSearch(ranked: readonly string[], run: RunTrial): Promise<string[] | undefined> {
  for (let k = 1; k < ranked.length; k++) if ((await run(ranked.slice(0, k))).ok) return ranked.slice(0, k);
  return undefined;
}
