/**
 * analyzeAccuracy on small built models: the known answer (exactly two layers break),
 * cumulative and output errors against an independent computation (saveModel's files run
 * in a Session, sums in JS), every layer kind in one net, several inputs and outputs,
 * .pb and model.json giving the same numbers, and the JSON report.
 */
import * as fs from 'fs';
import * as path from 'path';
import { analyzeAccuracy } from '../../src/analysis';
import type { AccuracyReport } from '../../src/analysis';
import { metricsFromSums } from '../../src/analysis/metrics';
import { reportJson } from '../../src/analysis/report';
import { saveModel } from '../../src/api/save-model';
import { loadGraph, saveGraph } from '../../src/io';
import { prepareGraph } from '../../src/passes';
import { GraphBuilder } from '../helpers/graph-builders';
import { tinyNet } from '../api/save-scenarios';
import { BROKEN_LAYERS, feedsOf, sumsBetween, twoBrokenLayersNet, writeModelAndRecord } from './analysis-fixtures';

function expectClose(actual: { cosine: number; sqnrDb: number; relL2: number }, expected: typeof actual): void {
  expect(actual.cosine).toBeCloseTo(expected.cosine, 5);
  if (Number.isFinite(expected.sqnrDb)) expect(Math.abs(actual.sqnrDb - expected.sqnrDb)).toBeLessThan(0.01);
  expect(actual.relL2).toBeCloseTo(expected.relL2, 5);
}

describe('analyzeAccuracy on a net where exactly two layers break', () => {
  let report: AccuracyReport;
  let files: Awaited<ReturnType<typeof writeModelAndRecord>>;
  const b = twoBrokenLayersNet();
  const evalFeeds = feedsOf(b.graph, 4, 5);

  beforeAll(async () => {
    files = await writeModelAndRecord(b.graph, feedsOf(b.graph, 1, 2, 3));
    report = await analyzeAccuracy(files.model, ['out'], files.record, evalFeeds, { backend: 'cpu', reportFile: path.join(files.dir, 'report.json') });
  });

  test('names exactly the two broken layers as the worst two; layers in graph order', () => {
    expect(report.layers.map((l) => l.layer)).toEqual(['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'conv6']);
    expect(report.worst.slice(0, 2).map((l) => l.layer).sort()).toEqual(BROKEN_LAYERS);
    expect(report.worst[1].isolated.cosine).toBeLessThan(report.worst[2].isolated.cosine - 0.05);
    expect(report.batches).toBe(2);
    expect(report.model).toBe(path.resolve(files.model));
    expect(report.recordFile).toBe(path.resolve(files.record));
  });

  test('cumulative and output errors equal the saved INT8 model run against the float model', async () => {
    const saved = await saveModel(files.model, ['out'], files.record, path.join(files.dir, 'saved'));
    const int8 = await loadGraph(saved.quantizedPb);
    const quantJson = JSON.parse(fs.readFileSync(saved.quantJson, 'utf8'));
    const float = b.graph.clone();
    prepareGraph(float, { doFusion: true });
    for (const l of report.layers) {
      const n = Number(l.layer.slice(4));
      const expected = metricsFromSums(await sumsBetween(float, `bias${n}`, int8, quantJson.layers[l.layer].output, evalFeeds));
      expectClose(l.cumulative, expected);
      // Its input: the placeholder for conv1 (exact), else the Relu before it in both models.
      if (n === 1) expect(l.input).toEqual({ cosine: 1, sqnrDb: Infinity, relL2: 0 });
      else expectClose(l.input, metricsFromSums(await sumsBetween(float, `relu${n - 1}`, int8, `relu${n - 1}`, evalFeeds)));
    }
    expectClose(report.outputs[0].metrics, metricsFromSums(await sumsBetween(b.graph, 'out', int8, 'out', evalFeeds)));
    // A broken layer spoils everything after it: the cumulative error only grows past conv3.
    expect(report.layers[2].cumulative.cosine).toBeLessThan(0.95);
    expect(report.outputs[0].output).toBe('out');
  });

  test('writes the JSON report with non-finite numbers as strings', () => {
    const json = JSON.parse(fs.readFileSync(path.join(files.dir, 'report.json'), 'utf8'));
    expect(json.layers.map((l: { layer: string }) => l.layer)).toEqual(report.layers.map((l) => l.layer));
    expect(json.worst[0].layer).toBe(report.worst[0].layer);
    expect(json.outputs[0].metrics.cosine).toBeCloseTo(report.outputs[0].metrics.cosine, 12);
    expect(json.reportFile).toBe(path.join(files.dir, 'report.json'));
    const exact = { ...report.layers[0], isolated: { cosine: 1, sqnrDb: Infinity, relL2: 0 } };
    const text = reportJson({ ...report, layers: [exact], worst: [exact] });
    expect(JSON.parse(text).layers[0].isolated).toEqual({ cosine: 1, sqnrDb: 'Infinity', relL2: 0 });
  });
});

describe('analyzeAccuracy on every layer kind, several inputs and outputs, .pb and model.json', () => {
  test('a multi-kind net: fused conv, depthwise + folded BN, residual Add, MaxPool, AvgPool, MatMul', async () => {
    const b = new GraphBuilder(42);
    tinyNet(b);
    const files = await writeModelAndRecord(b.graph, feedsOf(b.graph, 1, 2, 3), { tensors: true });
    const feeds = feedsOf(b.graph, 4, 5);
    const report = await analyzeAccuracy(files.model, ['logits_out'], files.record, feeds, { backend: 'cpu' });
    expect(report.layers.map((l) => `${l.layer}:${l.kind}`)).toEqual(['c1:conv2d', 'dw:depthwise', 'pw:conv2d', 'res:tensor', 'mp:tensor', 'c2:conv2d', 'ap:avgpool', 'fc:matmul']);
    expect(report.layers.find((l) => l.layer === 'dw')!.origins).toEqual(expect.arrayContaining(['dw', 'dw_bn']));
    for (const l of report.layers) expect(l.isolated.cosine).toBeGreaterThan(0.99);
    expect(report.outputs[0].metrics.cosine).toBeGreaterThan(0.99);

    // The same model as model.json gives the same numbers.
    const json = path.join(files.dir, 'model.json');
    await saveGraph(b.graph, json);
    const again = await analyzeAccuracy(json, ['logits_out'], files.record, feeds, { backend: 'cpu' });
    again.layers.forEach((l, i) => expect(l.isolated.cosine).toBeCloseTo(report.layers[i].isolated.cosine, 6));
    expect(again.outputs[0].metrics.sqnrDb).toBeCloseTo(report.outputs[0].metrics.sqnrDb, 3);
  });

  test('two inputs, two outputs (one of them a BatchMatMul of two activations)', async () => {
    const b = new GraphBuilder(43);
    const a = b.input('a', [2, 3, 4]);
    const x = b.input('x', [2, 8]);
    const fc = b.unary('out_fc', 'Relu', b.biasAdd('fc_ba', b.matmul('fc', x, [8, 5]), 5));
    b.unary('out_bmm', 'Identity', b.batchMatMul('bmm', a, b.unary('b_act', 'Tanh', b.input('b', [2, 4, 5]))));
    const files = await writeModelAndRecord(b.graph, feedsOf(b.graph, 1, 2));
    const feeds = feedsOf(b.graph, 3, 4);
    const report = await analyzeAccuracy(files.model, ['out_bmm', fc], files.record, feeds, { backend: 'cpu' });
    expect(report.outputs.map((o) => o.output)).toEqual(['out_bmm', 'out_fc']);
    expect(report.layers.map((l) => l.kind).sort()).toEqual(['batchmatmul_act', 'matmul']);
    const saved = await saveModel(files.model, ['out_bmm', fc], files.record, path.join(files.dir, 'saved'));
    const int8 = await loadGraph(saved.quantizedPb);
    for (const o of report.outputs) expectClose(o.metrics, metricsFromSums(await sumsBetween(b.graph, o.output, int8, o.output, feeds)));
  });
});
