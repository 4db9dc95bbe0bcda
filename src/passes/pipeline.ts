/**
 * prepareGraph: the graph rewrite every entry point runs first (createQuantConfig on a
 * clone, quantizeModel, saveModel), so they all see the same layers under the same names.
 *
 * 1. TensorFlow.js fused ops are always split (a change of representation, not a fusion).
 * 2. With do_fusion, the fusions run until none applies any more, because one can enable
 *    another (conv → Mul → Add becomes conv → Add once the Mul folds, then conv → BiasAdd).
 */
import { checkArity } from './arity';
import type { Graph } from '../ir';
import { log } from '../log';
import { addToBias } from './add-to-bias';
import { foldBatchNorm } from './fold-batchnorm';
import { foldMul } from './fold-mul';
import { foldWeightMul } from './fold-weight-mul';
import { newContext } from './pass';
import type { GraphPass, PassAction, PassContext, PassReport, PassSkip } from './pass';
import { unfuseTfjsOps } from './unfuse-tfjs';

export interface PrepareOptions {
  /** AMCT's do_fusion (default true): fold BN, Mul and constant Adds into layers. */
  doFusion?: boolean;
  /** AMCT's skip_fusion_layers: layer names nothing is folded into. */
  skipFusionLayers?: Iterable<string>;
}

export interface PrepareReport {
  doFusion: boolean;
  /** One report per pass (a fusion pass's actions summed over its rounds). */
  passes: PassReport[];
  /** Everything that was split or folded, in order. */
  actions: PassAction[];
  /** What was left as it is, and why (as of the end: a skip that a later round fixed is gone). */
  skipped: PassSkip[];
  /** New or rewritten node → the nodes of the loaded graph it stands for (for `_quant.json`). */
  origins: Map<string, string[]>;
  /** Tensor names whose value moved (a fused node that was probably a graph output). */
  renamedOutputs: Map<string, string>;
}

export const UNFUSE_PASSES: readonly GraphPass[] = [unfuseTfjsOps];
/** In the order that lets one round do the most: weight Muls first, Adds last. */
export const FUSION_PASSES: readonly GraphPass[] = [foldWeightMul, foldBatchNorm, foldMul, addToBias];

/** Each round removes at least one BN/Mul/Add node, so this bound is never the limit in practice. */
const MAX_ROUNDS = 16;

/** Rewrites `graph` in place and says what it did. */
export function prepareGraph(graph: Graph, options: PrepareOptions = {}): PrepareReport {
  const doFusion = options.doFusion ?? true;
  checkArity(graph);
  const ctx = newContext(options.skipFusionLayers ?? []);
  const passes = UNFUSE_PASSES.map((p) => p.run(graph, ctx));
  if (doFusion) passes.push(...runToFixpoint(graph, FUSION_PASSES, ctx));
  const report: PrepareReport = {
    doFusion,
    passes,
    actions: passes.flatMap((p) => p.actions),
    skipped: passes.flatMap((p) => p.skipped),
    origins: ctx.origins.snapshot(graph),
    renamedOutputs: new Map(ctx.renamedOutputs),
  };
  log.debug(`prepareGraph: ${report.actions.length} rewrites, ${report.skipped.length} skipped`);
  for (const s of report.skipped) log.info(`${s.pass}: not folding ${s.node} into ${s.layer}: ${s.reason}`);
  return report;
}

function runToFixpoint(graph: Graph, passes: readonly GraphPass[], ctx: PassContext): PassReport[] {
  const merged = passes.map((p): PassReport => ({ pass: p.name, actions: [], skipped: [] }));
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const reports = passes.map((p) => p.run(graph, ctx));
    reports.forEach((r, i) => {
      merged[i].actions.push(...r.actions);
      merged[i].skipped = r.skipped;
    });
    if (reports.every((r) => r.actions.length === 0)) break;
  }
  return merged;
}
