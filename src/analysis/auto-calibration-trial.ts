/**
 * One trial of auto calibration: a config with some layers in float → quantizeModel on a
 * fresh copy of the model → the user's calibration() on that graph → saveModel into the
 * trial folder → the user's evaluate() on the deployable graph → metricEval. Everything
 * it writes stays in its own temp folder; the caller copies the winner out.
 *
 * A plan says what the trial changes in the config: which layers stay in float, and an
 * `editConfig` for anything else (the DMQ balancer on chosen layers).
 */
import * as fs from 'fs';
import * as path from 'path';
import { quantizeModel, saveModel } from '../api';
import { CalibrationError } from '../errors';
import { loadGraph } from '../io';
import type { Feeds } from '../runtime';
import { captureFeeds } from './auto-calibration-capture';
import type { EvaluatorCalls } from './auto-calibration-evaluator';
import { configWithFloatLayers, TrialFolder } from './auto-calibration-files';
import { formatQuantConfig } from '../config';
import type { QuantConfig } from '../config';

export interface TrialPlan {
  /** How logs and errors name the trial ("all layers INT8", "trial k=3"). */
  label: string;
  floatLayers: string[];
  /** Further edits of the trial's config JSON (after floatLayers are switched off). */
  editConfig?: (config: Record<string, unknown>) => void;
  /** Capture the calibration batches (the first INT8 trial, for the ranking). */
  captureBatches?: boolean;
}

export interface TrialOutcome {
  label: string;
  floatLayers: string[];
  metric: number;
  ok: boolean;
  loss: number;
  /** The trial's config text and record file (in the trial folder). */
  configText: string;
  recordFile: string;
  /** Calibration batches, when the plan asked for them. */
  batches?: Feeds[];
}

export interface TrialContext {
  modelFile: string;
  outputs: string[];
  /** The user's config JSON as parsed, never written back. */
  config: Record<string, unknown>;
  batchNum: number;
  originalMetric: number;
  calls: EvaluatorCalls;
  folder: TrialFolder;
}

export interface CalibratedTrial {
  dir: string;
  configText: string;
  recordFile: string;
  batches?: Feeds[];
}

/** The plan's config written to its own folder, and the user's calibration run on it: a record, not yet evaluated. */
export async function calibrateTrial(ctx: TrialContext, plan: TrialPlan): Promise<CalibratedTrial> {
  const dir = await ctx.folder.next(plan.label);
  const config = configWithFloatLayers(ctx.config, plan.floatLayers);
  plan.editConfig?.(config);
  const configText = formatQuantConfig(config as QuantConfig);
  const configFile = path.join(dir, 'config.json');
  const recordFile = path.join(dir, 'record.txt');
  await fs.promises.writeFile(configFile, configText);
  const batches = await calibrate(ctx, plan, configFile, recordFile);
  return { dir, configText, recordFile, batches };
}

export async function runTrial(ctx: TrialContext, plan: TrialPlan): Promise<TrialOutcome> {
  const { dir, configText, recordFile, batches } = await calibrateTrial(ctx, plan);
  const saved = await saveModel(ctx.modelFile, ctx.outputs, recordFile, path.join(dir, 'model'));
  const metric = await ctx.calls.evaluate(saved.graph, [...ctx.outputs], plan.label);
  // The trial's model is rebuilt from its record at the end if it wins; free the disk now.
  await Promise.all([saved.quantizedPb, saved.quantJson].map((f) => fs.promises.rm(f, { force: true })));
  const { ok, loss } = await ctx.calls.metricEval(ctx.originalMetric, metric, plan.label);
  return { label: plan.label, floatLayers: [...plan.floatLayers], metric, ok, loss, configText, recordFile, batches };
}

/** quantizeModel on a fresh graph, then the user's calibration loop; the record must exist after it. */
async function calibrate(ctx: TrialContext, plan: TrialPlan, configFile: string, recordFile: string): Promise<Feeds[] | undefined> {
  const graph = await loadGraph(ctx.modelFile);
  const { calibOutputs } = await quantizeModel(graph, configFile, recordFile, { calibOutputs: [...ctx.outputs] });
  const capture = plan.captureBatches ? captureFeeds(graph, ctx.batchNum) : undefined;
  let batches: Feeds[] | undefined;
  try {
    await ctx.calls.calibration(graph, calibOutputs, plan.label);
    batches = capture?.batches();
  } finally {
    capture?.close();
  }
  if (!fs.existsSync(recordFile)) {
    throw new CalibrationError('CALIBRATION_INCOMPLETE', `evaluator.calibration returned on the ${plan.label}, but the calibration graph did not run batch_num = ${ctx.batchNum} batch(es), so no record was written`, {
      field: 'evaluator.calibration',
      hint: `in calibration(graph, outputs), create a Session on the graph it receives and run ${ctx.batchNum} batch(es), fetching the outputs it receives`,
    });
  }
  return batches;
}
