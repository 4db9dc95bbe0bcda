/**
 * Runs a target's cases in this process and classifies each outcome: returned, failed
 * with a typed AmctError (a code and a hint), or broke a promise: an untyped exception,
 * a typed error without a hint, an input modified, or a time or memory bound passed.
 * Hangs and aborts cannot be caught in-process; run.ts watches a child for those.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AmctError } from '../src/errors';
import { FuzzViolation } from './inputs';
import { caseRng } from './rng';
import type { FuzzTarget } from './target';

export interface CampaignOptions {
  seed: number;
  cases: number;
  /** First case index (a resumed campaign skips the cases already run). */
  from?: number;
  /** A case slower than this is a violation. */
  timeMs?: number;
  /** A case growing the process's resident memory by more than this is a violation. */
  rssMB?: number;
  /** Called after each case (progress for a watching parent). */
  onCase?: (index: number, outcome: CaseOutcome) => void;
}

export type OutcomeKind = 'ok' | 'typed' | 'untyped' | 'no-hint' | 'input-modified' | 'slow' | 'memory';

export interface CaseOutcome {
  kind: OutcomeKind;
  code?: string;
  message?: string;
  ms: number;
  /** Growth of peak resident memory during the case, MB. */
  rssMB: number;
  /** Peak resident memory of the process running the case so far, MB. */
  peakRssMB: number;
}

export interface TargetStats {
  target: string;
  seed: number;
  cases: number;
  counts: Record<OutcomeKind | 'hang' | 'crash', number>;
  codes: Record<string, number>;
  maxMs: number;
  maxCaseRssMB: number;
  peakRssMB: number;
  /** Cases that broke a promise, to replay with --target/--seed/--from (the first 50). */
  failures: { index: number; kind: string; message: string }[];
}

export const DEFAULT_TIME_MS = 2000;
export const DEFAULT_RSS_MB = 512;

const mb = (bytes: number) => bytes / 2 ** 20;
const peakRss = () => mb(process.resourceUsage().maxRSS * 1024);

export function emptyStats(target: string, seed: number): TargetStats {
  return {
    target, seed, cases: 0,
    counts: { ok: 0, typed: 0, untyped: 0, 'no-hint': 0, 'input-modified': 0, slow: 0, memory: 0, hang: 0, crash: 0 },
    codes: {}, maxMs: 0, maxCaseRssMB: 0, peakRssMB: 0, failures: [],
  };
}

function classify(error: unknown): Pick<CaseOutcome, 'kind' | 'code' | 'message'> {
  if (error === undefined) return { kind: 'ok' };
  if (error instanceof FuzzViolation) return { kind: 'input-modified', message: error.message };
  if (error instanceof AmctError && typeof error.code === 'string') {
    return error.hint ? { kind: 'typed', code: error.code } : { kind: 'no-hint', code: error.code, message: error.message };
  }
  const e = error as Error;
  return { kind: 'untyped', message: `${e?.name ?? typeof error}: ${String(e?.message ?? error).slice(0, 300)}\n${String(e?.stack ?? '').split('\n').slice(1, 6).join('\n')}` };
}

/** One case in a fresh folder, removed afterwards. */
export async function runOneCase(target: FuzzTarget, seed: number, index: number, root: string, bounds: { timeMs: number; rssMB: number }): Promise<CaseOutcome> {
  const dir = await fs.mkdtemp(path.join(root, `${index}-`));
  const rssBefore = mb(process.memoryUsage.rss());
  const peakBefore = peakRss();
  const t0 = performance.now();
  let error: unknown;
  try {
    await target.runCase(caseRng(seed, target.name, index), index, dir);
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  const peakAfter = peakRss();
  const rssMB = Math.max(0, (peakAfter > peakBefore ? peakAfter : mb(process.memoryUsage.rss())) - rssBefore);
  await fs.rm(dir, { recursive: true, force: true });
  const outcome: CaseOutcome = { ...classify(error), ms, rssMB, peakRssMB: peakAfter };
  if (outcome.kind === 'ok' || outcome.kind === 'typed') {
    if (ms > bounds.timeMs) return { ...outcome, kind: 'slow', message: `took ${ms.toFixed(0)} ms (bound ${bounds.timeMs})` };
    if (rssMB > bounds.rssMB) return { ...outcome, kind: 'memory', message: `grew resident memory by ${rssMB.toFixed(0)} MB (bound ${bounds.rssMB})` };
  }
  return outcome;
}

export function record(stats: TargetStats, index: number, o: CaseOutcome): void {
  stats.cases++;
  stats.counts[o.kind]++;
  if (o.code) stats.codes[o.code] = (stats.codes[o.code] ?? 0) + 1;
  stats.maxMs = Math.max(stats.maxMs, o.ms);
  stats.maxCaseRssMB = Math.max(stats.maxCaseRssMB, o.rssMB);
  stats.peakRssMB = Math.max(stats.peakRssMB, o.peakRssMB);
  if (o.kind !== 'ok' && o.kind !== 'typed' && stats.failures.length < 50) stats.failures.push({ index, kind: o.kind, message: o.message ?? '' });
}

/** Runs cases [from, from + cases) of `target` in this process. */
export async function runCampaign(target: FuzzTarget, options: CampaignOptions): Promise<TargetStats> {
  const bounds = { timeMs: options.timeMs ?? DEFAULT_TIME_MS, rssMB: options.rssMB ?? DEFAULT_RSS_MB };
  const stats = emptyStats(target.name, options.seed);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `amct-fuzz-${target.name}-`));
  await target.setup?.();
  try {
    const from = options.from ?? 0;
    for (let index = from; index < from + options.cases; index++) {
      const outcome = await runOneCase(target, options.seed, index, root, bounds);
      record(stats, index, outcome);
      options.onCase?.(index, outcome);
    }
  } finally {
    await target.teardown?.();
    await fs.rm(root, { recursive: true, force: true });
  }
  return stats;
}
