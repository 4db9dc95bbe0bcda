/**
 * DMQ balancer end to end (SPEC §10): createQuantConfig with the option → quantizeModel →
 * batch_num calibration runs → record with tensor_balance_factor → saveModel. The saved
 * INT8 graph runs in the Session and equals an independent reference of the same
 * arithmetic (the float model with a Mul by 1/s and fake quantization of x/s, weights
 * fake-quantized after w·s); _quant.json says, per layer, whether 1/s was folded or is a Mul.
 */
import * as fs from 'fs';
import * as path from 'path';
import { analyzeAccuracy, rankLayerSensitivity } from '../../src/analysis';
import { createQuantConfig, quantizeModel, saveModel } from '../../src/api';
import type { QuantJson } from '../../src/api/save-quant-json';
import { attr, DataType } from '../../src/ir';
import type { Graph } from '../../src/ir';
import { loadGraph } from '../../src/io';
import { readRecord } from '../../src/record';
import { Session } from '../../src/runtime';
import { GraphBuilder, opCounts } from '../helpers/graph-builders';
import { randomFeeds } from '../passes/session-compare';
import { cosine, fakeQuantGraph, FeedMap, relativeError, runSession, tmpDir, writeModel } from './save-fixtures';

/**
 * input → conv1 (→BiasAdd→Relu) → dw (→BiasAdd→Relu6) → conv2 (→BiasAdd→Relu) → Mean → fc (MatMul).
 * conv1's output channels get very different ranges (×0.01 … ×30), the case the balancer is for.
 */
function net(): Graph {
  const b = new GraphBuilder(5);
  const x = b.input('input', [-1, 6, 6, 3]);
  const gains = [0.01, 30, 1, 0.05, 5, 0.2, 12, 0.5];
  const w1 = Array.from({ length: 3 * 3 * 3 * 8 }, (_, i) => (b.random() * 2 - 1) * gains[i % 8]);
  const c1 = b.conv2d('conv1', x, b.const('conv1/w', [3, 3, 3, 8], w1));
  const r1 = b.unary('relu1', 'Relu', b.biasAdd('conv1/BiasAdd', c1, 8));
  const dw = b.depthwise('dw', r1, [3, 3, 8, 1]);
  const r2 = b.unary('relu2', 'Relu6', b.biasAdd('dw/BiasAdd', dw, 8));
  const c2 = b.conv2d('conv2', r2, [1, 1, 8, 6]);
  const r3 = b.unary('relu3', 'Relu', b.biasAdd('conv2/BiasAdd', c2, 6));
  const mean = b.node('mean', 'Mean', [r3, b.const('mean/axes', [2], [1, 2])], { keep_dims: attr.bool(false), Tidx: attr.type(DataType.DT_INT32) });
  b.matmul('fc', mean, [6, 4]);
  return b.graph;
}

async function calibrated(graph: Graph, dir: string, alpha: number, batches: FeedMap[]): Promise<{ model: string; record: string }> {
  const model = await writeModel(graph, dir);
  const config = path.join(dir, 'config.json');
  await createQuantConfig(config, graph, { batchNum: batches.length, dmqBalancerParam: alpha });
  const work = await loadGraph(model);
  const record = path.join(dir, 'record.txt');
  await quantizeModel(work, config, record);
  const session = await Session.create(work, { backend: 'cpu' });
  try {
    for (const feeds of batches) await session.run(['fc'], feeds);
  } finally {
    session.dispose();
  }
  return { model, record };
}

describe('DMQ balancer end to end', () => {
  const graph = net();
  const calib = [1, 2, 3].map((k) => randomFeeds(graph, k, 0, 1));
  const evalFeeds = [7, 8].map((k) => randomFeeds(graph, k, 0, 1));
  let dir: string;
  let files: { model: string; record: string };

  beforeAll(async () => {
    dir = tmpDir();
    files = await calibrated(graph, dir, 0.5, calib);
  });

  test('config lists dmq_balancer_param on every layer with weights', () => {
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    for (const layer of ['conv1', 'dw', 'conv2', 'fc']) expect(config[layer].dmq_balancer_param).toBe(0.5);
  });

  test('the record holds one factor per input channel, within [FLT_EPSILON, 1/FLT_EPSILON]', async () => {
    const records = await readRecord(files.record);
    const expected: Record<string, number> = { conv1: 3, dw: 8, conv2: 8, fc: 6 };
    for (const [layer, n] of Object.entries(expected)) {
      const s = records.get(layer)!.tensorBalanceFactor!;
      expect(s).toHaveLength(n);
      for (const v of s) expect(v >= 2 ** -23 && v <= 2 ** 23).toBe(true);
    }
    // dw reads conv1's uneven channels: its factors spread over orders of magnitude
    const s = records.get('dw')!.tensorBalanceFactor!;
    expect(Math.max(...s) / Math.min(...s)).toBeGreaterThan(10);
  });

  test('saved graph: folded where exact, Mul elsewhere; equals the reference of the same arithmetic', async () => {
    const result = await saveModel(files.model, ['fc'], files.record, path.join(dir, 'out'));
    const json = JSON.parse(fs.readFileSync(result.quantJson, 'utf8')) as QuantJson;
    const b = (l: string) => json.layers[l].dmq_balancer!;
    expect(b('conv1')).toMatchObject({ divide: 'mul', factors: 3 }); // a Placeholder feeds it
    expect(b('dw')).toMatchObject({ divide: 'folded', into: 'conv1', through: ['relu1'] });
    expect(b('conv2')).toMatchObject({ divide: 'mul' }); // Relu6 does not commute with a scale
    expect(b('conv2').reason).toMatch(/Relu6/);
    expect(b('fc')).toMatchObject({ divide: 'folded', into: 'conv2', through: ['relu3', 'mean'] });
    // the producers' dequantized outputs are divided by their consumer's s: said for comparison tools
    expect(json.layers.conv1.output_divided_by).toBe('dw');
    expect(json.layers.conv2.output_divided_by).toBe('fc');
    expect(json.layers.dw.output_divided_by).toBeUndefined();
    const quantized = await loadGraph(result.quantizedPb);
    expect(opCounts(quantized).Mul).toBe(2);
    expect(opCounts(quantized).AscendQuant).toBe(4);

    const records = [...(await readRecord(files.record))].map(([key, r]) => ({ key, ...r }));
    const reference = fakeQuantGraph(graph, records, ['fc']);
    for (const feeds of evalFeeds) {
      const [int8] = await runSession(quantized, ['fc'], feeds);
      const [ref] = await runSession(reference.graph, reference.outputs, feeds);
      const [float] = await runSession(graph, ['fc'], feeds);
      // folding divides in the producer's dequantization instead of a separate Mul: float32
      // rounding may move a value across one quantization step, nothing more
      expect(relativeError(ref.data as Float32Array, int8.data as Float32Array)).toBeLessThan(0.02);
      expect(cosine(ref.data as Float32Array, int8.data as Float32Array)).toBeGreaterThan(0.9999);
      expect(cosine(float.data as Float32Array, int8.data as Float32Array)).toBeGreaterThan(0.99);
    }
  });
  test('the accuracy tools measure a balanced model as it is: isolated copies divide by s, folded producers are compared times s', async () => {
    // Each layer alone and cumulatively is close to float (measured ≥ 0.9997). Before the
    // tools knew the balancer, the isolated copies read x instead of x/s (conv2: 0.72) and
    // the producers s was folded into were compared as y/s (conv2 cumulative: 0.75).
    const report = await analyzeAccuracy(files.model, ['fc'], files.record, evalFeeds, { backend: 'cpu' });
    expect(report.outputs[0].metrics.cosine).toBeGreaterThan(0.99);
    for (const l of report.layers) {
      expect({ layer: l.layer, isolated: l.isolated.cosine > 0.999, cumulative: l.cumulative.cosine > 0.999, input: l.input.cosine > 0.999 })
        .toEqual({ layer: l.layer, isolated: true, cumulative: true, input: true });
    }
    const ranking = await rankLayerSensitivity(files.model, files.record, evalFeeds, { backend: 'cpu' });
    const isolated = new Map(report.layers.map((l) => [l.layer, l.isolated.cosine]));
    for (const r of ranking) expect(r.isolated.cosine).toBeCloseTo(isolated.get(r.layer)!, 6);
  });
});
