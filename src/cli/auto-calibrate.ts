/**
 * `amct-ts calibration ... --evaluator FILE.js`: as AMCT's command line does with an
 * evaluator, the calibration command runs accuracyBasedAutoCalibration. The evaluator
 * brings its own calibration and evaluation data, so --input_shape/--data_dir are not
 * used. Flow: load the evaluator module → load the model → createQuantConfig
 * (PREFIX_config.json, --batch_num or --calibration_config) → auto calibration, one
 * progress line per evaluation on stderr → summary on stdout.
 */
import * as fs from 'fs';
import * as path from 'path';
import { assert } from '../errors';
import type { CliIO } from './calibrate';
import type { AutoCalibrationSummary, AutoCalibrationTrialInfo, CalibrationDeps } from './deps';
import { loadEvaluatorModule } from './evaluator-module';
import { checkOutputs } from './inputs';
import type { CalibrationOptions } from './options';

export async function runAutoCalibration(options: CalibrationOptions, deps: CalibrationDeps, io: CliIO): Promise<AutoCalibrationSummary> {
  const run = deps.accuracyBasedAutoCalibration;
  assert(run, 'the calibration deps provide accuracyBasedAutoCalibration'); // the real ones always do
  const evaluator = await loadEvaluatorModule(options.evaluator!);
  const configFile = `${options.savePath}_config.json`;
  const recordFile = `${options.savePath}_record.txt`;
  await fs.promises.mkdir(path.dirname(path.resolve(options.savePath)), { recursive: true });

  const graph = await deps.loadGraph(options.model);
  checkOutputs(graph, options.outputs);
  await deps.createQuantConfig(configFile, graph, { batchNum: options.batchNum, configDefinition: options.calibrationConfig });
  const result = await run(options.model, options.outputs, recordFile, configFile, options.savePath, evaluator, {
    strategy: options.strategy,
    balancer: !options.noBalancer,
    backend: options.backend,
    onTrial: (t) => io.stderr.write(progressLine(t)),
  });
  io.stdout.write(formatAutoSummary(result, configFile));
  return result;
}

const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(6));

export function progressLine(t: AutoCalibrationTrialInfo): string {
  const what = t.stage === 'float' ? 'float model' : t.stage === 'quantized' ? 'all layers INT8' : t.stage === 'balancer' ? 'all layers INT8, DMQ balancer where it helps' : `${t.k} layer(s) in float`;
  return `auto calibration: evaluation ${t.evaluations}: ${what}: metric ${num(t.metric)}, loss ${num(t.loss)}, ${t.ok ? 'accepted' : 'rejected'}\n`;
}

export function formatAutoSummary(r: AutoCalibrationSummary, configFile: string): string {
  const lines = [
    `Auto calibration: metric ${num(r.originalMetric)} float, ${num(r.quantizedMetric)} with every layer INT8, ${num(r.finalMetric)} final, after ${r.evaluations} evaluation(s).`,
    r.floatLayers.length === 0 ? 'Every candidate layer is INT8.' : `Left in float (${r.floatLayers.length}): ${r.floatLayers.join(', ')}`,
    ...(r.balancedLayers?.length ? [`DMQ balancer on (${r.balancedLayers.length}): ${r.balancedLayers.join(', ')}`] : []),
    'Files written:',
    ...[configFile, ...Object.values(r.files)].filter((f): f is string => typeof f === 'string').map((f) => `  ${path.resolve(f)}`),
  ];
  return lines.join('\n') + '\n';
}
