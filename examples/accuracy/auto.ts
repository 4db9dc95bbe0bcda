/**
 * The auto-calibrated row of a model: accuracyBasedAutoCalibration with an evaluator that
 * scores the model's task metric (tasks.ts) against the float model's outputs, then the
 * model it writes compared on the held-out inputs like the default row.
 *
 * The evaluator calibrates on the calibration crops and evaluates on the held-out ones, the
 * numbers the table reports: the held-out crops play the user's validation set. (Evaluated
 * on the calibration crops instead, the search accepts models that miss the target on
 * unseen inputs: faceres' descriptor reaches 0.9930 there with every layer INT8, 0.9882
 * held-out.)
 */
import * as fs from 'fs';
import * as path from 'path';
import * as amct from '../../src';
import { compareOutputs, outputsOf } from './compare';
import type { AccuracyRow } from './evaluate';
import { ModelSpec } from './models';
import { batchOf, chunks } from './quantize';
import type { AutoTarget, TaskResult } from './tasks';

function describeTarget(target: AutoTarget, sample: TaskResult[]): string {
  const r = sample[target.index];
  return `${r.name} ${r.better === 'higher' ? '≥' : '≤'} ${target.threshold}${r.unit === 'px' || r.unit === 'years' ? ` ${r.unit}` : ''}`;
}

async function runSession<T>(graph: amct.Graph, backend: amct.BackendName | undefined, use: (s: amct.Session) => Promise<T>): Promise<T> {
  const session = await amct.Session.create(graph, { backend });
  try {
    return await use(session);
  } finally {
    session.dispose();
  }
}

/** An AMCT evaluator for one model: calibration on its calibration crops, task metric vs float (`reference`) on the held-out ones. */
function taskEvaluator(spec: ModelSpec, target: AutoTarget, reference: Float32Array[], backend?: amct.BackendName): amct.AutoCalibrationEvaluator {
  const rows = spec.heldOut().length;
  // which way the target points: known from the metric itself, computed once
  const higher = spec.task!({ f: reference, q: reference, rows })[target.index].better === 'higher';
  return {
    calibration: (graph) =>
      runSession(graph, backend, async (s) => {
        for (const part of chunks(spec.calibration(), spec.maxBatch)) await s.run(spec.outputs, { [spec.input]: await batchOf(spec, part) });
      }),
    evaluate: (graph) =>
      runSession(graph, backend, async (s) => {
        const q = await outputsOf(spec, s);
        return spec.task!({ f: reference, q, rows })[target.index].value;
      }),
    metricEval: (original, current) => (higher ? [current >= target.threshold, original - current] : [current <= target.threshold, current - original]),
  };
}

export interface AutoOptions {
  outDir: string;
  backend?: amct.BackendName;
  target: AutoTarget;
  strategy?: amct.StrategyName;
  /** accuracyBasedAutoCalibration's balancer option (default: on); false is AMCT's flow. */
  balancer?: boolean;
}

/** Default config → accuracyBasedAutoCalibration → the written model compared on held-out inputs. */
export async function evaluateAuto(spec: ModelSpec, options: AutoOptions): Promise<AccuracyRow & { auto: amct.AutoCalibrationResult }> {
  const started = Date.now();
  const { outDir, backend } = options;
  fs.mkdirSync(outDir, { recursive: true });
  const model = await spec.model(outDir);
  const config = path.join(outDir, 'config.json');
  const graph = await amct.loadGraph(model);
  await amct.createQuantConfig(config, graph, { batchNum: Math.ceil(spec.calibration().length / spec.maxBatch) });
  const reference = await runSession(graph, backend, (s) => outputsOf(spec, s));
  const evaluator = taskEvaluator(spec, options.target, reference, backend);
  const auto = await amct.accuracyBasedAutoCalibration(model, spec.outputs, path.join(outDir, 'record.txt'), config, path.join(outDir, spec.name), evaluator, {
    backend,
    strategy: options.strategy,
    balancer: options.balancer,
    onTrial: (t) => console.log(`  ${spec.name} auto: ${t.stage} k=${t.k} metric ${t.metric.toFixed(4)} ${t.ok ? 'accepted' : 'rejected'} (${t.evaluations} evaluations, ${((Date.now() - started) / 1000).toFixed(0)} s)`),
  });
  const int8 = await amct.loadGraph(auto.files.quantizedPb);
  const comparison = await runSession(graph, backend, (floatS) => runSession(int8, backend, (int8S) => compareOutputs(spec, floatS, int8S)));
  return {
    model: spec.name,
    variant: `auto ${options.strategy ?? 'BinarySearch'}${options.balancer === false ? ', balancer: false' : ''}: ${describeTarget(options.target, comparison.task)}; ${auto.evaluations} evaluations; all INT8 ${auto.quantizedMetric.toFixed(4)} → ${auto.finalMetric.toFixed(4)}`,
    quantizedLayers: await quantizedLayerCount(auto.files.quantJson),
    heldOut: spec.heldOut().length,
    outputs: comparison.outputs,
    task: comparison.task,
    floatLayers: auto.floatLayers,
    balancedLayers: auto.balancedLayers,
    seconds: (Date.now() - started) / 1000,
    auto,
  };
}

async function quantizedLayerCount(quantJson: string): Promise<number> {
  const map = JSON.parse(await fs.promises.readFile(quantJson, 'utf8')) as { layers: Record<string, unknown> };
  return Object.keys(map.layers).length;
}
