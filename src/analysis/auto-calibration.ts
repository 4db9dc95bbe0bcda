/**
 * accuracyBasedAutoCalibration (SPEC §9): AMCT's accuracy_based_auto_calibration.
 *
 *   evaluate the float model (1 evaluation)
 *   → calibrate and evaluate with every candidate layer INT8 (1) → accepted: done
 *   → rank the candidates by sensitivity on the captured calibration batches, write the
 *     ranking → (ours, `balancer` option, on by default) the DMQ balancer on the layers
 *     where it lowers the isolated error, one evaluation (auto-calibration-balancer.ts)
 *     → search k, the number of most sensitive layers left in float (BinarySearch:
 *     at most ⌈log2 L⌉ trials, each re-calibrated and evaluated)
 *   → write the smallest accepted k's model, record and config.
 *
 * Candidates are the config's layers with "quant_enable": true. Nothing the user gave is
 * written, except recordFile, atomically; when no k is accepted no model is written and
 * an AutoCalibrationError (ACCURACY_TARGET_NOT_MET) gives the best metric reached.
 */
import * as fs from 'fs';
import { readConfigHeader } from '../api/config-header';
import { checkOutputs as checkOutputNodes } from '../api/save-outputs';
import { saveModel } from '../api';
import { parseQuantConfig } from '../config';
import { AutoCalibrationError } from '../errors';
import { loadGraph, writeFileAtomic } from '../io';
import { log } from '../log';
import { findLayers, hasWeights, prepareGraph } from '../passes';
import type { BackendName } from '../runtime';
import { BalancerChoice, BalancerOption, checkBalancerOption, chooseBalanced, configWithBalancer } from './auto-calibration-balancer';
import { AutoCalibrationEvaluator, checkEvaluator, EvaluatorCalls } from './auto-calibration-evaluator';
import { AutoCalibrationPaths, checkOutputs, outputPaths, TrialFolder } from './auto-calibration-files';
import { checkSensitivity, rankCandidates, SensitivityOption, writeRanking } from './auto-calibration-ranking';
import { checkStrategy, maxTrials, searchFloatLayers, StrategyName } from './auto-calibration-search';
import { calibrateTrial, runTrial, TrialContext, TrialOutcome, TrialPlan } from './auto-calibration-trial';
import type { LayerSensitivity } from './sensitivity';

export interface AutoCalibrationOptions {
  /**
   * 'BinarySearch' (default, as in AMCT: at most ⌈log2 L⌉ + 3 evaluations with the balancer step, + 2 without), 'Sequential'
   * (one more float layer per trial) or 'BinarySearchRefine' (BinarySearch, then keeps
   * only the float layers that matter: fewer float layers, a few more evaluations).
   */
  strategy?: StrategyName;
  /** 'CosineSimilarity' (default, as in AMCT) or your own ranker. */
  sensitivity?: SensitivityOption;
  /**
   * Ours, not AMCT's: before leaving layers in float, try the DMQ balancer (SPEC §10) on
   * the candidates with weights where it lowers the isolated error; one more evaluation
   * (and one calibration). `true` (default, α = 0.5), `{ migrationStrength: α }` with α in
   * [0.2, 0.8], or `false` for AMCT's flow. Layers the config already balances are left as they are.
   */
  balancer?: BalancerOption;
  /** Backend of the sessions the sensitivity ranking runs (your evaluator picks its own). */
  backend?: BackendName;
  /** Called after every evaluation, for progress displays (also logged at info level). */
  onTrial?: (trial: AutoCalibrationTrial) => void;
}

export interface AutoCalibrationTrial {
  /**
   * 'float': the original model; 'quantized': every candidate INT8; 'balancer': every
   * candidate INT8, the DMQ balancer on the layers it helps; 'search': a trial of the search.
   */
  stage: 'float' | 'quantized' | 'balancer' | 'search';
  /** Candidate layers left in float (L for the float model, 0 for all INT8). */
  k: number;
  floatLayers: string[];
  metric: number;
  ok: boolean;
  loss: number;
  /** Evaluations so far, this one included. */
  evaluations: number;
}

export interface AutoCalibrationResult {
  /** The float model's metric. */
  originalMetric: number;
  /** The metric with every candidate layer INT8. */
  quantizedMetric: number;
  /** The metric of the model written. */
  finalMetric: number;
  /** Layers left in float, most sensitive first (empty when all-INT8 was accepted). */
  floatLayers: string[];
  /** Layers the balancer step balanced in the model written (the config's own dmq_balancer_param not included). */
  balancedLayers: string[];
  /** Every candidate with its isolated error as quantized (balanced or not), most sensitive first (empty when no search ran). */
  ranking: LayerSensitivity[];
  /** Calls of evaluator.evaluate, the float model's included. */
  evaluations: number;
  /** Every evaluation in order. */
  trials: AutoCalibrationTrial[];
  /** Absolute paths written; `ranking` only when a search ran. */
  files: Omit<AutoCalibrationPaths, 'ranking'> & { ranking?: string };
}

interface Setup {
  modelFile: string;
  saveDir: string;
  outputs: string[];
  config: Record<string, unknown>;
  candidates: string[];
  /** Candidates the balancer step may balance: with weights, not balanced by the config already. */
  balanceable: string[];
  batchNum: number;
  inputs: string[];
  paths: AutoCalibrationPaths;
}

function checkPath(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new AutoCalibrationError('INVALID_ARGUMENT', `${name} of accuracyBasedAutoCalibration must be a non-empty path, got ${JSON.stringify(value)}`, {
      field: name,
      hint: 'arguments are (modelFile, outputs, recordFile, configFile, saveDir, evaluator, options), as AMCT orders them',
    });
  }
  return value;
}

function checkOutputNames(outputs: unknown): string[] {
  if (!Array.isArray(outputs) || outputs.length === 0 || !outputs.every((o) => typeof o === 'string' && o.length > 0)) {
    throw new AutoCalibrationError('INVALID_ARGUMENT', 'outputs must be a non-empty array of tensor names', { field: 'outputs', hint: 'e.g. ["MobilenetV2/Predictions/Reshape_1"]' });
  }
  return [...outputs];
}

/** Loads model and config once, validates both against each other, and fixes the output paths. */
async function setUp(modelFile: string, outputs: string[], recordFile: string, configFile: string, saveDir: string): Promise<Setup> {
  const graph = await loadGraph(modelFile);
  checkOutputNodes('save_model', graph, outputs, modelFile);
  const { text, doFusion, skipFusionLayers } = await readConfigHeader(configFile);
  prepareGraph(graph, { doFusion, skipFusionLayers });
  const loaded = parseQuantConfig(text, findLayers(graph), configFile);
  const enabled = [...loaded.resolved.values()].filter((l) => l.quantEnable);
  const candidates = enabled.map((l) => l.name);
  const balanceable = enabled.filter((l) => hasWeights(l.kind) && l.dmqBalancer === undefined).map((l) => l.name);
  const inputs = [...(graph.meta.sourceFiles ?? []), configFile];
  const paths = outputPaths(saveDir, recordFile);
  await checkOutputs(paths, inputs);
  return { modelFile, saveDir, outputs, config: loaded.config as Record<string, unknown>, candidates, balanceable, batchNum: loaded.batchNum, inputs, paths };
}

export async function accuracyBasedAutoCalibration(
  modelFile: string,
  outputs: string[],
  recordFile: string,
  configFile: string,
  saveDir: string,
  evaluator: AutoCalibrationEvaluator,
  options: AutoCalibrationOptions = {},
): Promise<AutoCalibrationResult> {
  const names = checkOutputNames(outputs);
  const paths = [checkPath('model_file', modelFile), checkPath('record_file', recordFile), checkPath('config_file', configFile), checkPath('save_dir', saveDir)];
  checkEvaluator(evaluator);
  const strategy = checkStrategy(options?.strategy);
  const sensitivity = checkSensitivity(options?.sensitivity);
  const alpha = checkBalancerOption(options?.balancer);
  const setup = await setUp(paths[0], names, paths[1], paths[2], paths[3]);
  const folder = await TrialFolder.create();
  try {
    return await new AutoCalibrationRun(setup, new EvaluatorCalls(evaluator), folder, strategy, sensitivity, alpha, options ?? {}).execute();
  } finally {
    await folder.dispose();
  }
}

/** A trial's float layers as a key, whatever their order. */
const keyOf = (layers: readonly string[]) => [...layers].sort().join('\n');

/** One run of the flow: the evaluations so far and the trial outcomes by float layers. */
class AutoCalibrationRun {
  private readonly trials: AutoCalibrationTrial[] = [];
  private readonly outcomes = new Map<string, TrialOutcome>();
  private ctx!: TrialContext;

  constructor(
    private readonly setup: Setup,
    private readonly calls: EvaluatorCalls,
    private readonly folder: TrialFolder,
    private readonly strategy: StrategyName,
    private readonly sensitivity: SensitivityOption,
    /** The balancer step's α; undefined when it is off. */
    private readonly alpha: number | undefined,
    private readonly options: AutoCalibrationOptions,
  ) {}

  async execute(): Promise<AutoCalibrationResult> {
    const { candidates } = this.setup;
    const originalMetric = await this.evaluateFloat();
    this.ctx = { ...this.setup, originalMetric, calls: this.calls, folder: this.folder };
    const all = await this.trial('quantized', { label: 'all layers INT8', floatLayers: [], captureBatches: true });
    if (all.ok) return this.finish(originalMetric, all, []);
    if (candidates.length === 0) throw this.notMet(originalMetric); // only tensor_quantize entries: nothing to leave float

    let ranking = await this.rank(all);
    let balanced: string[] = [];
    if (this.alpha !== undefined && this.setup.balanceable.length > 0) {
      const step = await this.tryBalancer(all, ranking, this.alpha);
      if (step.outcome?.ok) {
        await this.writeRanking(step.choice.ranking, step.choice.layers);
        return this.finish(originalMetric, step.outcome, step.choice.ranking, all.metric, step.choice.layers);
      }
      // Kept for the search only when it got closer to the target than plain INT8 did.
      if (step.outcome && step.outcome.loss < all.loss) {
        ({ ranking } = step.choice);
        balanced = step.choice.layers;
        await this.writeRanking(ranking, balanced);
      } else if (step.outcome) {
        log.info(`auto calibration: the balancer did not bring the metric closer to the target (loss ${step.outcome.loss} vs ${all.loss} plain); the search goes on without it`);
      }
    }
    all.batches = undefined; // the captured inputs are not needed any more
    // The search keeps the balancer on the chosen layers that stay INT8.
    const balancedOf = (floatLayers: readonly string[]) => balanced.filter((l) => !floatLayers.includes(l));
    const order = ranking.map((r) => r.layer);
    const floatLayers = await searchFloatLayers(this.strategy, order, async (layers) => this.trial('search', {
      label: `trial k=${layers.length}`,
      floatLayers: layers,
      editConfig: balanced.length > 0 ? (c) => configWithBalancer(c, balancedOf(layers), this.alpha!) : undefined,
    }));
    if (floatLayers === undefined) throw this.notMet(originalMetric);
    // Reported in ranking order, most sensitive first.
    return this.finish(originalMetric, { ...this.outcomes.get(keyOf(floatLayers))!, floatLayers }, ranking, all.metric, balancedOf(floatLayers));
  }

  /**
   * The balancer step: a calibration with α on every balanceable layer, their isolated
   * errors balanced, the layers it helps; one evaluation with those balanced (none when
   * it helps no layer).
   */
  private async tryBalancer(all: TrialOutcome, ranking: LayerSensitivity[], alpha: number): Promise<{ choice: BalancerChoice; outcome?: TrialOutcome }> {
    const { balanceable, modelFile } = this.setup;
    log.info(`auto calibration: trying the DMQ balancer (α ${alpha}) on ${balanceable.length} layer(s) with weights before leaving any in float`);
    const probe = await calibrateTrial(this.ctx, { label: 'balancer probe', floatLayers: [], editConfig: (c) => configWithBalancer(c, balanceable, alpha) });
    const measured = await rankCandidates(this.sensitivity, { modelFile, recordFile: probe.recordFile, batches: all.batches ?? [], candidates: balanceable, backend: this.options.backend });
    const choice = chooseBalanced(ranking, measured);
    log.info(`auto calibration: the balancer lowers the isolated error of ${choice.layers.length} layer(s)${choice.layers.length ? `: ${choice.layers.join(', ')}` : ''}`);
    if (choice.layers.length === 0) return { choice };
    const outcome = await this.trial('balancer', { label: `balancer on ${choice.layers.length} layers`, floatLayers: [], editConfig: (c) => configWithBalancer(c, choice.layers, alpha) });
    return { choice, outcome };
  }

  /** The candidates, most sensitive first, written to the ranking file before the search. */
  private async rank(all: TrialOutcome): Promise<LayerSensitivity[]> {
    const { candidates, modelFile } = this.setup;
    const refine = this.strategy === 'BinarySearchRefine' ? ' per round, one round per layer kept in float plus one' : '';
    log.info(`auto calibration: INT8 rejected (metric ${all.metric}, loss ${all.loss}); ranking ${candidates.length} layers on ${all.batches?.length ?? 0} calibration batch(es), ` +
      `then ${this.strategy} over k in 1..${candidates.length - 1} (at most ${maxTrials(this.strategy, candidates.length)} trials${refine})`);
    const ranking = await rankCandidates(this.sensitivity, { modelFile, recordFile: all.recordFile, batches: all.batches ?? [], candidates, backend: this.options.backend });
    await this.writeRanking(ranking, []);
    return ranking;
  }

  /** The ranking file, with the layers measured balanced flagged (rewritten when the balancer step is kept). */
  private async writeRanking(ranking: LayerSensitivity[], balanced: string[]): Promise<void> {
    const { modelFile, paths, batchNum, inputs } = this.setup;
    const sensitivity = typeof this.sensitivity === 'string' ? this.sensitivity : 'custom';
    await writeRanking(paths.ranking, ranking, { sensitivity, modelFile, recordFile: paths.recordFile, batches: batchNum, balanced }, inputs);
  }

  private async evaluateFloat(): Promise<number> {
    const { candidates, modelFile, outputs } = this.setup;
    const metric = await this.calls.evaluate(await loadGraph(modelFile), [...outputs], 'float model');
    const { ok, loss } = await this.calls.metricEval(metric, metric, 'float model');
    this.record({ stage: 'float', k: candidates.length, floatLayers: [...candidates], metric, ok, loss });
    if (!ok) {
      throw new AutoCalibrationError('ACCURACY_TARGET_NOT_MET', `metricEval rejects even the float model (metric ${metric} against itself, loss ${loss}): no quantized model can meet the target`, {
        field: 'evaluator.metricEval',
        hint: 'metricEval(original, original) must accept; compare the new metric with the original one, e.g. [original - current <= 0.01, original - current]',
      });
    }
    return metric;
  }

  private async trial(stage: 'quantized' | 'balancer' | 'search', plan: TrialPlan): Promise<TrialOutcome> {
    const outcome = await runTrial(this.ctx, plan);
    this.outcomes.set(keyOf(plan.floatLayers), outcome);
    this.record({ stage, k: plan.floatLayers.length, floatLayers: outcome.floatLayers, metric: outcome.metric, ok: outcome.ok, loss: outcome.loss });
    return outcome;
  }

  private record(t: Omit<AutoCalibrationTrial, 'evaluations'>): void {
    const trial = { ...t, evaluations: this.trials.length + 1 };
    this.trials.push(trial);
    const layers = t.stage === 'float' ? 'all' : t.floatLayers.length === 0 ? 'none' : t.floatLayers.join(', ');
    log.info(`auto calibration: ${t.stage === 'float' ? 'float model' : `k=${t.k}`}: metric ${t.metric}, loss ${t.loss}, ${t.ok ? 'accepted' : 'rejected'}; float layers: ${layers}`);
    this.options.onTrial?.(trial);
  }

  private notMet(originalMetric: number): AutoCalibrationError {
    const tried = this.trials.filter((t) => t.stage !== 'float');
    const best = tried.reduce((a, b) => (b.loss < a.loss ? b : a));
    return new AutoCalibrationError('ACCURACY_TARGET_NOT_MET', `no quantized model met the target: best metric ${best.metric} (loss ${best.loss}) with ${best.k} of ${this.setup.candidates.length} layers in float, float model ${originalMetric}; no model was written`, {
      hint: `relax metricEval's target, calibrate on more representative data, or see ${this.setup.paths.ranking} and analyzeAccuracy for the layers that lose the most`,
    });
  }

  /** Writes the winner: final config, record (atomically), then the deployable model from them. */
  private async finish(originalMetric: number, winner: TrialOutcome, ranking: LayerSensitivity[], quantizedMetric = winner.metric, balancedLayers: string[] = []): Promise<AutoCalibrationResult> {
    const { paths, inputs, modelFile, outputs, saveDir } = this.setup;
    await writeFileAtomic(paths.finalConfig, winner.configText, { inputs });
    await writeFileAtomic(paths.recordFile, await fs.promises.readFile(winner.recordFile), { inputs });
    const saved = await saveModel(modelFile, [...outputs], paths.recordFile, saveDir);
    log.info(`auto calibration: ${winner.floatLayers.length} layer(s) left in float, ${balancedLayers.length} balanced, metric ${winner.metric} (float ${originalMetric}) after ${this.trials.length} evaluations; wrote ${saved.quantizedPb}`);
    const { ranking: rankingFile, ...rest } = paths;
    return {
      originalMetric,
      quantizedMetric,
      finalMetric: winner.metric,
      floatLayers: winner.floatLayers,
      balancedLayers,
      ranking,
      evaluations: this.trials.length,
      trials: this.trials,
      files: ranking.length > 0 ? { ...rest, ranking: rankingFile } : rest,
    };
  }
}
