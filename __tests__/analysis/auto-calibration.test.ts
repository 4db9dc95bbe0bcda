/**
 * accuracyBasedAutoCalibration end to end on small graphs with known answers:
 * - a net where exactly two layers break under INT8 (conv3, conv5): the real
 *   CosineSimilarity ranking and BinarySearch must leave exactly those two in float;
 * - conv chains of several lengths with a fake evaluator that decides which layers must
 *   stay float: the smallest k, and the evaluation count bound ⌈log2 L⌉ + 3.
 * Plus the files: what is written, what is not, and that the inputs are untouched.
 */
import * as fs from 'fs';
import * as path from 'path';
import { accuracyBasedAutoCalibration, AutoCalibrationError, loadGraph, setLoggingLevel } from '../../src';
import { readRecord } from '../../src/record';
import { BROKEN_LAYERS, feedsOf, twoBrokenLayersNet } from './analysis-fixtures';
import { convChain, cosineEvaluator, FlowFiles, knownAnswerEvaluator, leftoverTrialFolders, outputsOf, snapshot, writeFlowInputs } from './auto-calibration-fixtures';

const bound = (L: number) => Math.ceil(Math.log2(L)) + 3;


describe('accuracyBasedAutoCalibration on a net with two layers INT8 breaks', () => {
  let files: FlowFiles;
  let result: Awaited<ReturnType<typeof accuracyBasedAutoCalibration>>;
  let evaluated = 0;
  let before: Record<string, string>;
  const logged: string[] = [];

  beforeAll(async () => {
    const graph = twoBrokenLayersNet().graph;
    files = await writeFlowInputs(graph, 2);
    before = snapshot([files.model, files.config]);
    const heldOut = feedsOf(graph, 11, 12, 13);
    const reference = await outputsOf(graph, 'out', heldOut);
    const evaluator = cosineEvaluator('out', feedsOf(graph, 1, 2), heldOut, reference, 0.99);
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    setLoggingLevel('info', 'info');
    try {
      result = await accuracyBasedAutoCalibration(files.model, ['out'], files.record, files.config, files.saveDir, evaluator);
    } finally {
      setLoggingLevel('warning', 'info');
      spy.mockRestore();
    }
    evaluated = evaluator.evaluated;
  });

  afterAll(() => fs.rmSync(files.dir, { recursive: true, force: true }));

  it('leaves exactly the two broken layers in float', () => {
    expect([...result.floatLayers].sort()).toEqual(BROKEN_LAYERS);
    expect(result.ranking.slice(0, 2).map((r) => r.layer).sort()).toEqual(BROKEN_LAYERS);
    expect(result.ranking).toHaveLength(6);
    expect(result.quantizedMetric).toBeLessThan(0.99);
    expect(result.finalMetric).toBeGreaterThanOrEqual(0.99);
    expect(result.originalMetric).toBeCloseTo(1, 6);
  });

  it('counts every evaluation, within ⌈log2 L⌉ + 3 for L = 6', () => {
    expect(result.evaluations).toBe(evaluated);
    expect(result.trials).toHaveLength(evaluated);
    expect(result.evaluations).toBeLessThanOrEqual(bound(6));
    expect(result.trials.map((t) => t.stage)).toEqual(['float', 'quantized', ...Array(evaluated - 2).fill('search')]);
    // BinarySearch over k in 1..5 with answer 2: k = 3 (accepted), 2 (accepted), 1 (rejected).
    expect(result.trials.slice(2).map((t) => [t.k, t.ok])).toEqual([[3, true], [2, true], [1, false]]);
  });

  it('logs every trial at info level with k, metric, loss and the float layers', () => {
    const lines = logged.join('').split('\n').filter((l) => l.startsWith('[AMCT][INFO] auto calibration: k='));
    expect(lines).toHaveLength(result.trials.length - 1);
    for (const t of result.trials.filter((x) => x.stage !== 'float')) {
      const line = lines.find((l) => l.includes(`k=${t.k}:`))!;
      expect(line).toContain(`metric ${t.metric}`);
      expect(line).toContain(`loss ${t.loss}`);
      for (const layer of t.floatLayers) expect(line).toContain(layer);
    }
  });

  it('writes the model, its map, the record, the final config and the ranking; inputs untouched', async () => {
    expect(result.files.quantizedPb).toBe(path.resolve(`${files.saveDir}_quantized.pb`));
    expect(result.files.quantJson).toBe(path.resolve(`${files.saveDir}_quant.json`));
    const outDir = path.dirname(files.saveDir);
    expect(result.files.finalConfig).toBe(path.join(outDir, 'accuracy_based_auto_calibration_final_config.json'));
    expect(result.files.ranking).toBe(path.join(outDir, 'accuracy_based_auto_calibration_ranking_information.json'));
    for (const f of Object.values(result.files)) expect(fs.existsSync(f!)).toBe(true);

    const config = JSON.parse(fs.readFileSync(result.files.finalConfig, 'utf8'));
    const off = Object.keys(config).filter((k) => config[k]?.quant_enable === false).sort();
    expect(off).toEqual(BROKEN_LAYERS);
    const record = await readRecord(files.record);
    expect([...record.keys()].sort()).toEqual(['conv1', 'conv2', 'conv4', 'conv6']);
    const quantized = await loadGraph(result.files.quantizedPb);
    const quantizedInputs = quantized.nodes().filter((n) => n.op === 'AscendQuant').length;
    expect(quantizedInputs).toBe(4);
    const ranking = JSON.parse(fs.readFileSync(result.files.ranking!, 'utf8'));
    expect(ranking.layers.map((l: { layer: string }) => l.layer)).toEqual(result.ranking.map((r) => r.layer));
    expect(ranking.layers[0].cosine).toBeLessThan(0.99);

    expect(snapshot([files.model, files.config])).toEqual(before);
    expect(leftoverTrialFolders()).toEqual([]);
  });
});

describe('accuracyBasedAutoCalibration: known answers on conv chains', () => {
  // [L, layers that must stay float, in the order a custom ranker gives]
  const cases: [number, string[], string[]][] = [
    [3, ['conv2'], ['conv2', 'conv1', 'conv3']],
    [5, ['conv4', 'conv1'], ['conv4', 'conv2', 'conv1', 'conv5', 'conv3']],
    [8, ['conv7', 'conv3', 'conv5'], ['conv7', 'conv3', 'conv5', 'conv1', 'conv2', 'conv4', 'conv6', 'conv8']],
  ];

  it.each(cases)('L = %i: finds the smallest k that floats %j within ⌈log2 L⌉ + 3 evaluations', async (L, bad, order) => {
    const graph = convChain(L).graph;
    const files = await writeFlowInputs(graph, 1);
    try {
      const evaluator = knownAnswerEvaluator(bad, feedsOf(graph, 1));
      const ranker = { rank: async () => order.map((layer, i) => ({ layer, isolated: { cosine: 0.5 + i / 100, sqnrDb: 10 + i, relL2: 0.5 } })) };
      const result = await accuracyBasedAutoCalibration(files.model, ['out'], files.record, files.config, files.saveDir, evaluator, { sensitivity: ranker });
      const k = Math.max(...bad.map((l) => order.indexOf(l))) + 1;
      expect(result.floatLayers).toEqual(order.slice(0, k));
      expect(result.finalMetric).toBe(1);
      expect(result.quantizedMetric).toBeCloseTo(1 - 0.1 * bad.length, 12);
      expect(result.evaluations).toBe(evaluator.evaluated);
      expect(result.evaluations).toBeLessThanOrEqual(bound(L));
      expect(result.evaluations).toBeLessThanOrEqual(Math.ceil(Math.log2(L)) + 2);
      expect(evaluator.sawFloat).toBe(true);
    } finally {
      fs.rmSync(files.dir, { recursive: true, force: true });
    }
  });

  it('stops after two evaluations when the all-INT8 model is accepted', async () => {
    const graph = convChain(4).graph;
    const files = await writeFlowInputs(graph, 1);
    try {
      const evaluator = knownAnswerEvaluator([], feedsOf(graph, 1));
      const result = await accuracyBasedAutoCalibration(files.model, ['out'], files.record, files.config, files.saveDir, evaluator);
      expect(result.evaluations).toBe(2);
      expect(result.floatLayers).toEqual([]);
      expect(result.ranking).toEqual([]);
      expect(result.files.ranking).toBeUndefined();
      expect(fs.existsSync(path.join(files.dir, 'out', 'accuracy_based_auto_calibration_ranking_information.json'))).toBe(false);
      expect([...(await readRecord(files.record)).keys()].sort()).toEqual(['conv1', 'conv2', 'conv3', 'conv4']);
      expect(fs.existsSync(result.files.quantizedPb)).toBe(true);
    } finally {
      fs.rmSync(files.dir, { recursive: true, force: true });
    }
  });

  it('writes no model when no k is accepted, names the best metric, and keeps the ranking', async () => {
    const graph = convChain(4).graph;
    const files = await writeFlowInputs(graph, 1);
    try {
      // Every layer is bad: only the all-float model (k = L) passes, which is no quantized model.
      const evaluator = knownAnswerEvaluator(['conv1', 'conv2', 'conv3', 'conv4'], feedsOf(graph, 1));
      const ranker = { rank: async () => ['conv1', 'conv2', 'conv3', 'conv4'].map((layer) => ({ layer, isolated: { cosine: 0.9, sqnrDb: 20, relL2: 0.1 } })) };
      const error = await accuracyBasedAutoCalibration(files.model, ['out'], files.record, files.config, files.saveDir, evaluator, { sensitivity: ranker }).catch((e) => e);
      expect(error).toBeInstanceOf(AutoCalibrationError);
      expect(error.code).toBe('ACCURACY_TARGET_NOT_MET');
      // Best: k = 3 float layers, one bad layer INT8 → metric 0.9.
      expect(error.message).toMatch(/best metric 0\.9 \(loss 0\.09\d*\) with 3 of 4 layers in float/);
      expect(evaluator.evaluated).toBeLessThanOrEqual(bound(4));
      expect(fs.existsSync(`${files.saveDir}_quantized.pb`)).toBe(false);
      expect(fs.existsSync(`${files.saveDir}_quant.json`)).toBe(false);
      expect(fs.existsSync(files.record)).toBe(false);
      expect(fs.existsSync(path.join(files.dir, 'out', 'accuracy_based_auto_calibration_ranking_information.json'))).toBe(true);
      expect(leftoverTrialFolders()).toEqual([]);
    } finally {
      fs.rmSync(files.dir, { recursive: true, force: true });
    }
  });
});
