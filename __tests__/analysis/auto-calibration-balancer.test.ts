/**
 * The DMQ balancer step of accuracyBasedAutoCalibration (ours; SPEC §10): which layers it
 * balances (pure choice against known measurements), the option's validation, and on a
 * net whose two broken layers the balancer repairs, that it keeps every layer INT8 in one
 * more evaluation, where AMCT's flow (balancer: false) leaves those two in float.
 */
import * as fs from 'fs';
import { accuracyBasedAutoCalibration, AutoCalibrationError } from '../../src';
import { BALANCER_GAIN, checkBalancerOption, chooseBalanced } from '../../src/analysis/auto-calibration-balancer';
import { readRecord } from '../../src/record';
import { BROKEN_LAYERS, feedsOf, twoBrokenLayersNet } from './analysis-fixtures';
import { cosineEvaluator, FlowFiles, leftoverTrialFolders, outputsOf, snapshot, writeFlowInputs } from './auto-calibration-fixtures';

const m = (layer: string, cosine: number) => ({ layer, isolated: { cosine, sqnrDb: -10 * Math.log10(2 * (1 - cosine)), relL2: Math.sqrt(2 * (1 - cosine)) } });

describe('chooseBalanced', () => {
  it('balances the layers whose isolated error 1 − cosine drops by at least BALANCER_GAIN, and re-ranks', () => {
    const plain = [m('a', 0.9), m('b', 0.99), m('c', 0.999), m('d', 0.9999)];
    const gainAtLimit = 1 - (1 - BALANCER_GAIN) * 0.01; // b's error cut by exactly the gain: not enough
    const balanced = [m('a', 0.9995), m('b', gainAtLimit), m('c', 0.99), m('d', 0.99999)];
    const choice = chooseBalanced(plain, balanced);
    expect(choice.layers).toEqual(['a', 'd']);
    expect(choice.ranking.map((r) => [r.layer, r.isolated.cosine])).toEqual([['b', 0.99], ['c', 0.999], ['a', 0.9995], ['d', 0.99999]]);
  });

  it('keeps layers it did not measure (no weights) and layers with non-finite measurements as they were', () => {
    const plain = [m('pool', 0.95), m('conv', 0.97)];
    const choice = chooseBalanced(plain, [m('conv', Number.NaN)]);
    expect(choice.layers).toEqual([]);
    expect(choice.ranking).toEqual(plain);
  });
});

describe('the balancer option', () => {
  it.each([[undefined, 0.5], [true, 0.5], [{}, 0.5], [{ migrationStrength: 0.3 }, 0.3], [false, undefined]])('%j → α %j', (option, alpha) => {
    expect(checkBalancerOption(option)).toBe(alpha);
  });

  it.each([[{ migrationStrength: 0.9 }], [{ migrationStrength: Number.NaN }], ['on'], [0.5]])('%j is an INVALID_ARGUMENT naming the field', (option) => {
    let error: unknown;
    try {
      checkBalancerOption(option);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AutoCalibrationError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'balancer' });
    expect((error as Error).message).toMatch(/\[0\.2, 0\.8\]/);
  });
});

describe('accuracyBasedAutoCalibration with the balancer step, on two broken layers it repairs', () => {
  const graph = twoBrokenLayersNet(5, 1e-6).graph;
  const heldOut = feedsOf(graph, 11, 12, 13);
  let reference: Float32Array[];
  let files: FlowFiles;

  beforeAll(async () => {
    reference = await outputsOf(graph, 'out', heldOut);
    files = await writeFlowInputs(graph, 2);
  });

  afterAll(() => fs.rmSync(files.dir, { recursive: true, force: true }));

  const run = (balancer: boolean) => {
    const evaluator = cosineEvaluator('out', feedsOf(graph, 1, 2), heldOut, reference, 0.99);
    return accuracyBasedAutoCalibration(files.model, ['out'], files.record, files.config, files.saveDir, evaluator, { balancer }).then((result) => ({ result, evaluated: evaluator.evaluated }));
  };

  it('AMCT flow (balancer: false) leaves the two broken layers in float', async () => {
    const { result } = await run(false);
    expect([...result.floatLayers].sort()).toEqual(BROKEN_LAYERS);
    expect(result.balancedLayers).toEqual([]);
    expect(result.quantizedMetric).toBeLessThan(0.99);
  });

  it('balancer on (default): every layer INT8 after one more evaluation, the broken two balanced', async () => {
    const before = snapshot([files.model, files.config]);
    const { result, evaluated } = await run(true);
    expect(result.floatLayers).toEqual([]);
    expect(result.finalMetric).toBeGreaterThanOrEqual(0.99);
    expect(result.quantizedMetric).toBeLessThan(0.99);
    expect(result.balancedLayers).toEqual(expect.arrayContaining(BROKEN_LAYERS));
    // float, all INT8, balancer: the float search never ran
    expect(result.trials.map((t) => t.stage)).toEqual(['float', 'quantized', 'balancer']);
    expect(result.evaluations).toBe(evaluated);
    // The broken layers' isolated error as balanced is what the ranking reports now.
    for (const l of BROKEN_LAYERS) expect(result.ranking.find((r) => r.layer === l)!.isolated.cosine).toBeGreaterThan(0.99);

    // The final config and record hold the balancer for those layers; the model is all INT8.
    const config = JSON.parse(fs.readFileSync(result.files.finalConfig, 'utf8'));
    for (const l of result.balancedLayers) expect(config[l].dmq_balancer_param).toBe(0.5);
    expect(Object.keys(config).filter((k) => config[k]?.quant_enable === false)).toEqual([]);
    const record = await readRecord(files.record);
    for (const l of BROKEN_LAYERS) expect(record.get(l)!.tensorBalanceFactor).toHaveLength(16);
    const ranking = JSON.parse(fs.readFileSync(result.files.ranking!, 'utf8'));
    const flagged = ranking.layers.filter((l: { dmq_balancer?: boolean }) => l.dmq_balancer).map((l: { layer: string }) => l.layer);
    expect(flagged.sort()).toEqual([...result.balancedLayers].sort());
    expect(snapshot([files.model, files.config])).toEqual(before);
    expect(leftoverTrialFolders()).toEqual([]);
  });
});
