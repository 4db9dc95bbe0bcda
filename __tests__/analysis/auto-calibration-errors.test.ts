/**
 * accuracyBasedAutoCalibration on bad input: the evaluator (missing methods, throwing,
 * NaN or malformed results, a calibration that runs nothing), options, paths, outputs and
 * config. Each is a typed error naming what is wrong; argument and path problems are
 * caught before the first evaluation, and no input file is ever written.
 */
import * as fs from 'fs';
import * as path from 'path';
import { accuracyBasedAutoCalibration, AmctError, AutoCalibrationError, CalibrationError, ConfigError, FileFormatError, GraphError } from '../../src';
import type { AutoCalibrationEvaluator } from '../../src/analysis/auto-calibration-evaluator';
import { rejectionOf } from '../helpers/errors';
import { feedsOf } from './analysis-fixtures';
import { convChain, FlowFiles, knownAnswerEvaluator, leftoverTrialFolders, runCalibration, snapshot, writeFlowInputs } from './auto-calibration-fixtures';

let files: FlowFiles;
let inputs: Record<string, string>;
const graph = convChain(3).graph;
const calibration = feedsOf(graph, 1);

beforeAll(async () => {
  files = await writeFlowInputs(graph, 1);
  inputs = snapshot([files.model, files.config]);
});

afterAll(() => fs.rmSync(files.dir, { recursive: true, force: true }));

afterEach(() => {
  expect(snapshot([files.model, files.config])).toEqual(inputs);
  expect(fs.existsSync(`${files.saveDir}_quantized.pb`)).toBe(false);
  expect(leftoverTrialFolders()).toEqual([]);
});

/** A working evaluator that needs conv1 in float (INT8 metric 0.9, rejected), with `patch` applied. */
function evaluator(patch: Record<string, unknown> = {}): AutoCalibrationEvaluator & { evaluated: number } {
  const base = knownAnswerEvaluator(['conv1'], calibration);
  const ev = {
    evaluated: 0,
    calibration: base.calibration,
    evaluate: async (g: never) => {
      ev.evaluated++;
      return base.evaluate(g);
    },
    metricEval: base.metricEval,
  };
  return Object.assign(ev, patch) as never;
}

async function failure<E extends AmctError>(run: Promise<unknown>, kind: new (...args: never[]) => E, code: string): Promise<E> {
  const e = await rejectionOf(run, kind);
  expect(e.code).toBe(code);
  expect(e.hint).toBeTruthy();
  return e;
}

const run = (ev: unknown, options: Record<string, unknown> = {}, over: Partial<FlowFiles> & { outputs?: unknown } = {}) =>
  accuracyBasedAutoCalibration(over.model ?? files.model, (over.outputs ?? ['out']) as string[], over.record ?? files.record, over.config ?? files.config, over.saveDir ?? files.saveDir, ev as AutoCalibrationEvaluator, options as never);

describe('the evaluator', () => {
  it.each(['calibration', 'evaluate', 'metricEval'])('without %s is refused before anything runs', async (method) => {
    const ev = evaluator({ [method]: undefined });
    const e = await failure(run(ev), AutoCalibrationError, 'EVALUATOR_INVALID');
    expect(e.message).toContain(`no method ${method}`);
    expect(e.field).toBe(`evaluator.${method}`);
  });

  it('that is not an object is refused', async () => {
    await failure(run(null), AutoCalibrationError, 'EVALUATOR_INVALID');
    await failure(run('evaluator.js'), AutoCalibrationError, 'EVALUATOR_INVALID');
  });

  it('that throws is wrapped with the method and the trial named, the cause kept', async () => {
    const boom = new Error('out of data');
    const e = await failure(run(evaluator({ calibration: async () => { throw boom; } })), AutoCalibrationError, 'EVALUATOR_FAILED');
    expect(e.message).toMatch(/evaluator\.calibration failed on the all layers INT8: out of data/);
    expect(e.cause).toBe(boom);
    const f = await failure(run(evaluator({ evaluate: () => { throw new TypeError('bad graph'); } })), AutoCalibrationError, 'EVALUATOR_FAILED');
    expect(f.message).toMatch(/evaluator\.evaluate failed on the float model: bad graph/);
    const g = await failure(run(evaluator({ metricEval: () => { throw new Error('no target'); } })), AutoCalibrationError, 'EVALUATOR_FAILED');
    expect(g.message).toMatch(/evaluator\.metricEval failed on the float model/);
  });

  it.each([
    ['NaN', () => Number.NaN, /returned NaN/],
    ['a string', () => '0.9', /returned "0\.9"/],
    ['undefined from a Promise', async () => undefined, /returned undefined/],
    ['Infinity', () => Infinity, /not a finite number/],
  ])('whose evaluate returns %s is refused', async (_, evaluate, message) => {
    const e = await failure(run(evaluator({ evaluate })), AutoCalibrationError, 'EVALUATOR_RESULT_INVALID');
    expect(e.message).toMatch(message);
    expect(e.message).toContain('float model');
    expect(e.field).toBe('evaluator.evaluate');
  });

  it.each([
    ['a boolean', () => true, /not a pair/],
    ['a number for ok', () => [1, 0], /ok = 1/],
    ['a string for ok', async () => ['yes', 0], /ok = "yes"/],
    ['NaN for loss', () => [true, Number.NaN], /loss = NaN/],
    ['three values', () => [true, 0, 1], /not a pair/],
  ])('whose metricEval returns %s is refused', async (_, metricEval, message) => {
    const e = await failure(run(evaluator({ metricEval })), AutoCalibrationError, 'EVALUATOR_RESULT_INVALID');
    expect(e.message).toMatch(message);
    expect(e.field).toBe('evaluator.metricEval');
  });

  it('whose calibration runs no batch (or too few) fails with CALIBRATION_INCOMPLETE', async () => {
    const e = await failure(run(evaluator({ calibration: async () => undefined })), CalibrationError, 'CALIBRATION_INCOMPLETE');
    expect(e.message).toMatch(/batch_num = 1 batch/);
    expect(e.hint).toMatch(/Session/);
    const files2 = await writeFlowInputs(graph, 2);
    try {
      const ev = evaluator({ calibration: (g: never, outputs: string[]) => runCalibration(g, outputs, calibration) });
      await failure(run(ev, {}, files2), CalibrationError, 'CALIBRATION_INCOMPLETE');
    } finally {
      fs.rmSync(files2.dir, { recursive: true, force: true });
    }
  });

  it('whose metricEval rejects the float model against itself ends after one evaluation', async () => {
    const ev = evaluator({ metricEval: () => [false, 0] });
    const e = await failure(run(ev), AutoCalibrationError, 'ACCURACY_TARGET_NOT_MET');
    expect(e.message).toMatch(/rejects even the float model/);
    expect(ev.evaluated).toBe(1);
  });

  it('may be async in every method, or a class instance', async () => {
    class Evaluator {
      evaluated = 0;
      async calibration(g: never, outputs: string[]) {
        await runCalibration(g, outputs, calibration);
      }
      async evaluate() {
        this.evaluated++;
        return 0.9;
      }
      async metricEval(original: number, current: number): Promise<[boolean, number]> {
        return [true, original - current];
      }
    }
    const files2 = await writeFlowInputs(graph, 1);
    try {
      const result = await run(new Evaluator(), {}, files2);
      expect(result.evaluations).toBe(2);
      expect(result.quantizedMetric).toBe(0.9);
    } finally {
      fs.rmSync(files2.dir, { recursive: true, force: true });
    }
  });
});

describe('options, paths, outputs and config', () => {
  it('refuses unknown strategy and sensitivity values before any evaluation', async () => {
    const ev = evaluator();
    const s = await failure(run(ev, { strategy: 'Greedy' }), AutoCalibrationError, 'INVALID_ARGUMENT');
    expect(s.field).toBe('strategy');
    const t = await failure(run(ev, { sensitivity: 'KLDivergence' }), AutoCalibrationError, 'INVALID_ARGUMENT');
    expect(t.field).toBe('sensitivity');
    expect(t.message).toContain('"KLDivergence"');
    expect(ev.evaluated).toBe(0);
  });

  it('refuses a ranking that names a layer that is not a candidate', async () => {
    const ranker = { rank: () => [{ layer: 'not_a_layer', isolated: { cosine: 0, sqnrDb: 0, relL2: 1 } }] };
    const e = await failure(run(evaluator(), { sensitivity: ranker }), AutoCalibrationError, 'INVALID_ARGUMENT');
    expect(e.layer).toBe('not_a_layer');
  });

  it('refuses outputs that would overwrite the model or the config, before any evaluation', async () => {
    const ev = evaluator();
    await failure(run(ev, {}, { record: files.config }), FileFormatError, 'OUTPUT_WOULD_OVERWRITE_INPUT');
    await failure(run(ev, {}, { record: files.model }), FileFormatError, 'OUTPUT_WOULD_OVERWRITE_INPUT');
    // the final config is written next to saveDir: a config of that name there is an input
    const config = path.join(files.dir, 'accuracy_based_auto_calibration_final_config.json');
    fs.copyFileSync(files.config, config);
    await failure(run(ev, {}, { config, saveDir: path.join(files.dir, 'model') }), FileFormatError, 'OUTPUT_WOULD_OVERWRITE_INPUT');
    fs.rmSync(config);
    expect(ev.evaluated).toBe(0);
  });

  it('refuses a save folder that does not exist, before any evaluation', async () => {
    const ev = evaluator();
    const e = await failure(run(ev, {}, { saveDir: path.join(files.dir, 'missing', 'model') }), FileFormatError, 'FILE_WRITE_FAILED');
    expect(e.message).toContain('missing');
    expect(ev.evaluated).toBe(0);
  });

  it('refuses outputs that are not in the model, and empty outputs', async () => {
    const e = await failure(run(evaluator(), {}, { outputs: ['logits'] }), GraphError, 'NODE_NOT_FOUND');
    expect(e.node).toBe('logits');
    await failure(run(evaluator(), {}, { outputs: [] }), AutoCalibrationError, 'INVALID_ARGUMENT');
    await failure(run(evaluator(), {}, { model: '' }), AutoCalibrationError, 'INVALID_ARGUMENT');
  });

  it('refuses a config that names a layer the model does not have', async () => {
    const config = JSON.parse(fs.readFileSync(files.config, 'utf8'));
    config.conv9 = config.conv1;
    const bad = path.join(files.dir, 'bad_config.json');
    fs.writeFileSync(bad, JSON.stringify(config, null, 4));
    const e = await failure(run(evaluator(), {}, { config: bad }), ConfigError, 'LAYER_NOT_FOUND');
    expect(e.layer).toBe('conv9');
  });

  it('leaves an existing record untouched when no model meets the target', async () => {
    fs.writeFileSync(files.record, 'old record\n');
    const ev = evaluator();
    const ranker = { rank: () => ['conv2', 'conv3', 'conv1'].map((layer) => ({ layer, isolated: { cosine: 0.9, sqnrDb: 20, relL2: 0.1 } })) };
    // conv1 must be float, but the ranking puts it last: BinarySearch finds no k < 3.
    const e = await failure(run(ev, { sensitivity: ranker }), AutoCalibrationError, 'ACCURACY_TARGET_NOT_MET');
    expect(e.message).toMatch(/best metric 0\.9/);
    expect(fs.readFileSync(files.record, 'utf8')).toBe('old record\n');
    fs.rmSync(files.record);
  });
});
