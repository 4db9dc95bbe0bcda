/**
 * `amct-ts calibration ... --evaluator FILE.js`: the evaluator module (CommonJS or ESM,
 * default export, named `evaluator`, its own functions, or a class) is loaded by Node and
 * handed to accuracyBasedAutoCalibration (a fake here: the real flow has its own tests),
 * with one progress line per evaluation and the usual exit codes.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadEvaluatorModule } from '../../src/cli/evaluator-module';
import type { AutoCalibrationCliOptions, CalibrationDeps } from '../../src/cli/deps';
import { AutoCalibrationError } from '../../src/errors';
import { fakeDeps, runMain as run } from './fakes';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-cli-auto-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const METHODS = `calibration(graph, outputs) { return outputs.length; },
  evaluate() { return 0.5; },
  metricEval(a, b) { return [a - b < 0.1, a - b]; }`;

const CLASS_METHODS = METHODS.replace(/},\n/g, '}\n');

/** CommonJS evaluator modules (jest's own require loads these in-process). */
const COMMONJS: [string, string][] = [
  ['ev.cjs', `module.exports = {\n  ${METHODS}\n};\n`],
  ['ev-named.cjs', `exports.evaluator = {\n  ${METHODS}\n};\n`],
  ['ev-functions.js', `exports.calibration = () => 1;\nexports.evaluate = async () => 0.5;\nexports.metricEval = () => [true, 0];\n`],
  ['ev-class.cjs', `module.exports = class Evaluator {\n  ${CLASS_METHODS}\n};\n`],
];

/** ESM evaluator modules: jest cannot load ESM, so these are loaded by a plain Node child. */
const ESM: [string, string][] = [
  ['ev-default.mjs', `export default {\n  ${METHODS}\n};\n`],
  ['ev-named.mjs', `export const evaluator = {\n  ${METHODS}\n};\n`],
  ['ev-class.mjs', `export default class {\n  ${CLASS_METHODS}\n}\n`],
  ['ev-await.mjs', `await Promise.resolve();\nexport const evaluator = {\n  ${METHODS}\n};\n`],
];

describe('loadEvaluatorModule', () => {
  it('loads ESM modules (default export, named export, a class, top-level await) under plain Node', () => {
    for (const [name, source] of ESM) fs.writeFileSync(path.join(tmp, name), source);
    const script = path.join(tmp, 'load.js');
    fs.writeFileSync(script, [
      `const { loadEvaluatorModule } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'src', 'cli', 'evaluator-module.ts'))});`,
      `(async () => {`,
      `  for (const name of ${JSON.stringify(ESM.map(([n]) => n))}) {`,
      `    const ev = await loadEvaluatorModule(require('path').join(${JSON.stringify(tmp)}, name));`,
      `    console.log(name, typeof ev.calibration, typeof ev.metricEval, await ev.evaluate());`,
      `  }`,
      `})().catch((e) => { console.error(e.message); process.exit(1); });`,
    ].join('\n'));
    const child = spawnSync(process.execPath, ['--no-warnings', '-r', 'ts-node/register/transpile-only', script], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim().split('\n')).toEqual(ESM.map(([n]) => `${n} function function 0.5`));
  });

  it.each(COMMONJS)('loads %s and finds the evaluator', async (name, source) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, source);
    const ev = (await loadEvaluatorModule(file)) as Record<string, (...a: unknown[]) => unknown>;
    for (const m of ['calibration', 'evaluate', 'metricEval']) expect(typeof ev[m]).toBe('function');
    expect(await ev.evaluate()).toBe(0.5);
  });

  it('names what a module without an evaluator exports', async () => {
    const file = path.join(tmp, 'not-an-evaluator.cjs');
    fs.writeFileSync(file, 'exports.evaluate = () => 1;\nexports.helper = 2;\n');
    const e = await loadEvaluatorModule(file).catch((x: AutoCalibrationError) => x) as AutoCalibrationError;
    expect(e).toBeInstanceOf(AutoCalibrationError);
    expect(e.code).toBe('EVALUATOR_INVALID');
    expect(e.message).toMatch(/exports: evaluate, helper/);
  });

  it('wraps a module that fails to load', async () => {
    const file = path.join(tmp, 'broken.cjs');
    fs.writeFileSync(file, 'throw new Error("no dataset here");\n');
    const e = await loadEvaluatorModule(file).catch((x: AutoCalibrationError) => x) as AutoCalibrationError;
    expect(e.code).toBe('EVALUATOR_INVALID');
    expect(e.message).toMatch(/cannot load the --evaluator module .*no dataset here/);
  });
});

/** Fake SDK whose auto calibration records its arguments and reports three evaluations. */
function autoDeps(fail?: Error) {
  const { deps, log } = fakeDeps();
  const seen: { args?: unknown[]; evaluator?: Record<string, unknown>; options?: AutoCalibrationCliOptions } = {};
  const withAuto: CalibrationDeps = {
    ...deps,
    accuracyBasedAutoCalibration: async (model, outputs, record, config, saveDir, evaluator, options) => {
      seen.args = [model, outputs, record, config, saveDir];
      seen.evaluator = evaluator as Record<string, unknown>;
      seen.options = options;
      if (fail) throw fail;
      options.onTrial?.({ stage: 'float', k: 1, metric: 1, loss: 0, ok: true, evaluations: 1 });
      options.onTrial?.({ stage: 'quantized', k: 0, metric: 0.8, loss: 0.2, ok: false, evaluations: 2 });
      options.onTrial?.({ stage: 'search', k: 1, metric: 0.995, loss: 0.005, ok: true, evaluations: 3 });
      return { originalMetric: 1, quantizedMetric: 0.8, finalMetric: 0.995, floatLayers: ['conv'], evaluations: 3, files: { quantizedPb: `${saveDir}_quantized.pb`, recordFile: record } };
    },
  };
  return { deps: withAuto, log, seen };
}

function argv(evaluator: string, extra: string[] = []): string[] {
  return ['calibration', '--model', path.join(tmp, 'm.pb'), '--outputs', 'out:0', '--save_path', path.join(tmp, 'out', 'q'), '--evaluator', evaluator, ...extra];
}

describe('amct-ts calibration --evaluator', () => {
  it('runs accuracyBasedAutoCalibration with the module\'s evaluator, a config, progress and a summary', async () => {
    const file = path.join(tmp, 'ev.cjs');
    fs.writeFileSync(file, COMMONJS[0][1]);
    const { deps, log, seen } = autoDeps();
    const r = await run(argv(file, ['--batch_num', '2', '--strategy', 'BinarySearchRefine', '--backend', 'cpu']), deps);
    expect(r.code).toBe(0);
    const save = path.join(tmp, 'out', 'q');
    expect(seen.args).toEqual([path.join(tmp, 'm.pb'), ['out:0'], `${save}_record.txt`, `${save}_config.json`, save]);
    expect(typeof seen.evaluator!.metricEval).toBe('function');
    expect(seen.options).toMatchObject({ strategy: 'BinarySearchRefine', backend: 'cpu', balancer: true });
    expect(log.calls).toEqual(['loadGraph m.pb', 'createQuantConfig q_config.json']); // no data, no session of its own
    expect(log.configOptions).toMatchObject({ batchNum: 2 });
    expect(r.err.split('\n').filter(Boolean)).toEqual([
      'auto calibration: evaluation 1: float model: metric 1, loss 0, accepted',
      'auto calibration: evaluation 2: all layers INT8: metric 0.800000, loss 0.200000, rejected',
      'auto calibration: evaluation 3: 1 layer(s) in float: metric 0.995000, loss 0.00500000, accepted',
    ]);
    expect(r.out).toMatch(/^Auto calibration: metric 1 float, 0\.800000 with every layer INT8, 0\.995000 final, after 3 evaluation\(s\)\.\nLeft in float \(1\): conv\nFiles written:\n/);
    expect(r.out).toContain(`${save}_config.json`);
    expect(r.out).toContain(`${save}_quantized.pb`);
  });

  it('exits 1 with the message when no model meets the target', async () => {
    const file = path.join(tmp, 'ev.cjs');
    fs.writeFileSync(file, COMMONJS[0][1]);
    const error = new AutoCalibrationError('ACCURACY_TARGET_NOT_MET', 'no quantized model met the target: best metric 0.95', { hint: 'relax metricEval' });
    const r = await run(argv(file), autoDeps(error).deps);
    expect(r.code).toBe(1);
    expect(r.err).toBe('amct-ts: error: no quantized model met the target: best metric 0.95. Hint: relax metricEval\n');
  });

  it('exits 1 for a module without an evaluator, 2 for a missing file or data options', async () => {
    const file = path.join(tmp, 'empty.cjs');
    fs.writeFileSync(file, 'module.exports = {};\n');
    const bad = await run(argv(file), autoDeps().deps);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/exports no evaluator/);
    const missing = await run(argv(path.join(tmp, 'nope.js')), autoDeps().deps);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--evaluator file .* does not exist/);
    const data = await run(argv(file, ['--data_dir', tmp]), autoDeps().deps);
    expect(data.code).toBe(2);
    expect(data.err).toMatch(/--data_dir is not used with --evaluator/);
    const strategy = await run(argv(file, ['--strategy', 'Fastest']), autoDeps().deps);
    expect(strategy.code).toBe(2);
    expect(strategy.err).toMatch(/unknown --strategy "Fastest"/);
  });

  it('--no_balancer passes balancer: false (AMCT\'s flow)', async () => {
    const file = path.join(tmp, 'ev-nb.cjs');
    fs.writeFileSync(file, COMMONJS[0][1]);
    const { deps, seen } = autoDeps();
    const r = await run(argv(file, ['--no_balancer']), deps);
    expect(r.code).toBe(0);
    expect(seen.options).toMatchObject({ balancer: false });
  });

  it('documents --evaluator and --strategy in the help', async () => {
    const r = await run(['calibration', '--help'], autoDeps().deps);
    expect(r.out).toMatch(/--evaluator FILE\.js/);
    expect(r.out).toMatch(/--strategy S/);
    expect(r.out).toMatch(/--no_balancer/);
  });
});
