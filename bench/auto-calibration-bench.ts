/**
 * accuracyBasedAutoCalibration on real models: wall time, evaluations, peak RSS.
 *
 *   npx ts-node --transpile-only bench/auto-calibration-bench.ts [--model blazeface|nsfwjs|all]
 *     [--target T] [--calibration N] [--held-out N] [--strategy BinarySearch,BinarySearchRefine]
 *     [--backend wasm|cpu] [--balancer on,off]
 *
 * The evaluator is examples/auto-calibration/score-evaluator.ts: mean per-image cosine of
 * the scored outputs (BlazeFace: sigmoid of both score grids; nsfwjs: the 5 class
 * probabilities) against the float model, accepted at the target (default 0.99 for
 * BlazeFace; 0.998 for nsfwjs, whose all-INT8 model already meets 0.99). Every strategy
 * listed runs in turn; peak RSS is the process's maximum so far (run one model per
 * process to read it per model). One plain calibration + saveModel + evaluation is timed
 * first, so the search's cost reads as a ratio measured in the same run. --balancer runs
 * each strategy with the balancer step on (the default) and/or off (AMCT's flow).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import * as amct from '../src';
import { blazeface, ExampleModel, nsfwjs } from '../examples/auto-calibration/data';
import { ScoreCosineEvaluator } from '../examples/auto-calibration/score-evaluator';

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

async function benchModel(example: ExampleModel, dir: string, target: number, strategies: amct.StrategyName[], balancers: boolean[], backend?: amct.BackendName): Promise<void> {
  const config = path.join(dir, `${example.name}_config.json`);
  await amct.createQuantConfig(config, await amct.loadGraph(example.model), { batchNum: example.calibration.length });
  const evaluator = await new ScoreCosineEvaluator({ scored: example.scored, sigmoid: example.sigmoid, calibration: example.calibration, heldOut: example.heldOut, target, backend }).prepare(example.model);

  // One plain AMCT flow (calibrate, save, evaluate): the unit the search's cost is measured in.
  let t = Date.now();
  const graph = await amct.loadGraph(example.model);
  const { calibOutputs } = await amct.quantizeModel(graph, config, path.join(dir, 'plain_record.txt'), { calibOutputs: example.outputs });
  await evaluator.calibration(graph, calibOutputs);
  const saved = await amct.saveModel(example.model, example.outputs, path.join(dir, 'plain_record.txt'), path.join(dir, 'plain'));
  const plainMetric = await evaluator.evaluate(saved.graph);
  const plainSeconds = (Date.now() - t) / 1000;
  evaluator.evaluations = 0;

  const L = Object.values(JSON.parse(fs.readFileSync(config, 'utf8'))).filter((v) => (v as { quant_enable?: boolean })?.quant_enable === true).length;
  console.log(`${example.name}: ${L} candidate layers, ${example.calibration.length} calibration batch(es), ${example.heldOut.length} held-out batch(es), target ${target}`);
  console.log(`  one plain flow (calibrate + save + evaluate): ${plainSeconds.toFixed(1)} s, metric ${plainMetric.toFixed(4)}`);
  for (const strategy of strategies) {
    for (const balancer of balancers) {
      evaluator.evaluations = 0;
      t = Date.now();
      const result = await amct.accuracyBasedAutoCalibration(example.model, example.outputs, path.join(dir, `${example.name}_record.txt`), config, path.join(dir, example.name), evaluator, { strategy, backend, balancer });
      report(`${strategy}, balancer ${balancer ? 'on' : 'off'}`, (Date.now() - t) / 1000, plainSeconds, L, result);
    }
  }
}

function report(strategy: string, seconds: number, plainSeconds: number, L: number, result: amct.AutoCalibrationResult): void {
  console.log(`  auto calibration (${strategy}): ${seconds.toFixed(1)} s = ${(seconds / plainSeconds).toFixed(1)}× the plain flow; ${result.evaluations} evaluations (bound ⌈log2 L⌉ + 3 = ${Math.ceil(Math.log2(L)) + 3})`);
  const short = (layers: string[]) => layers.map((l) => l.replace(/^.*\/(functional_1|predict)\//, '')).join(', ') || '—';
  console.log(`  metric: float ${result.originalMetric.toFixed(4)}, all INT8 ${result.quantizedMetric.toFixed(4)}, final ${result.finalMetric.toFixed(4)} with ${result.floatLayers.length} layer(s) in float: ${short(result.floatLayers)}`);
  console.log(`  DMQ balancer on ${result.balancedLayers.length} layer(s): ${short(result.balancedLayers)}`);
  for (const trial of result.trials) console.log(`    ${trial.stage.padEnd(9)} k=${String(trial.k).padStart(3)}  metric ${trial.metric.toFixed(4)}  loss ${trial.loss.toFixed(4)}  ${trial.ok ? 'accepted' : 'rejected'}`);
  console.log(`  peak RSS so far: ${mb(process.resourceUsage().maxRSS)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'all' },
      target: { type: 'string' },
      calibration: { type: 'string' },
      'held-out': { type: 'string', default: '12' },
      strategy: { type: 'string', default: 'BinarySearch,BinarySearchRefine' },
      backend: { type: 'string' },
      balancer: { type: 'string', default: 'on' },
    },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-auto-bench-'));
  const backend = values.backend as amct.BackendName | undefined;
  const heldOut = Number(values['held-out']);
  const strategies = values.strategy!.split(',') as amct.StrategyName[];
  const balancers = values.balancer!.split(',').map((b) => b === 'on');
  const target = (fallback: number) => (values.target !== undefined ? Number(values.target) : fallback);
  try {
    console.log(`node ${process.version}, ${os.cpus().length} cores, backend ${backend ?? 'default'}; RSS before: ${mb(process.resourceUsage().maxRSS)}`);
    if (values.model === 'all' || values.model === 'blazeface') {
      await benchModel(await blazeface(Number(values.calibration ?? 8), heldOut), dir, target(0.99), strategies, balancers, backend);
    }
    if (values.model === 'all' || values.model === 'nsfwjs') {
      await benchModel(await nsfwjs(dir, Number(values.calibration ?? 2), heldOut), dir, target(0.998), strategies, balancers, backend);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  process.exit(1);
});
