/**
 * rankLayerSensitivity: each layer quantized alone, fed float activations. Checked
 * against an independent reference (save-fixtures' fake-quant graph with only that
 * layer's record, error sums in JS) on one model per layer kind of SPEC §2, and on a net
 * built so that exactly two known layers break under INT8.
 */
import { rankLayerSensitivity } from '../../src/analysis';
import { metricsFromSums } from '../../src/analysis/metrics';
import { findLayers, prepareGraph } from '../../src/passes';
import { GraphBuilder } from '../helpers/graph-builders';
import { fakeQuantGraph } from '../api/save-fixtures';
import { SCENARIOS } from '../api/save-scenarios';
import { BROKEN_LAYERS, feedsOf, sumsBetween, twoBrokenLayersNet, writeModelAndRecord } from './analysis-fixtures';

/** The node whose value the layer's dequantized output stands for: its BiasAdd, or itself. */
function tailOf(graph: ReturnType<GraphBuilder['graph']['clone']>, layer: string): string {
  const readers = graph.dataConsumersOfNode(layer);
  return readers.length === 1 && readers[0].node.op === 'BiasAdd' ? readers[0].node.name : layer;
}

describe('rankLayerSensitivity: isolated error of every layer kind vs a fake-quant reference', () => {
  test.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, sc) => {
    const b = new GraphBuilder(41);
    sc.build(b);
    const keep = (key: string) => sc.layers.includes(key.replace(/:\d+$/, ''));
    const files = await writeModelAndRecord(b.graph, feedsOf(b.graph, 1, 2), { tensors: sc.tensors }, keep);
    const evalFeeds = feedsOf(b.graph, 3, 4);
    const ranking = await rankLayerSensitivity(files.model, files.record, evalFeeds, { backend: 'cpu' });
    expect(ranking.map((r) => r.layer).sort()).toEqual([...sc.layers].sort());

    const float = b.graph.clone();
    prepareGraph(float, { doFusion: true });
    for (const r of ranking) {
      const mine = files.records.filter((rec) => rec.key.replace(/:\d+$/, '') === r.layer);
      const ref = fakeQuantGraph(b.graph, mine, sc.outputs).graph;
      const tail = tailOf(float, r.layer);
      const expected = metricsFromSums(await sumsBetween(float, tail, ref, tail, evalFeeds));
      expect(r.isolated.cosine).toBeCloseTo(expected.cosine, 5);
      // SQNR from sums that agree to ~1e-6 relative: well within 0.01 dB unless both are near-perfect.
      if (Number.isFinite(expected.sqnrDb)) expect(Math.abs(r.isolated.sqnrDb - expected.sqnrDb)).toBeLessThan(0.01);
      else expect(r.isolated.sqnrDb).toBeGreaterThan(120);
      expect(r.isolated.relL2).toBeCloseTo(expected.relL2, 5);
      expect(r.origins).toContain(r.layer);
    }
  });
});

describe('rankLayerSensitivity: a net where exactly two layers break under INT8', () => {
  test('finds exactly those two as the worst two, far below every other layer', async () => {
    const b = twoBrokenLayersNet();
    const files = await writeModelAndRecord(b.graph, feedsOf(b.graph, 1, 2, 3));
    const ranking = await rankLayerSensitivity(files.model, files.record, feedsOf(b.graph, 4, 5), { backend: 'cpu' });
    const names = findLayers(b.graph).map((c) => c.name);
    expect(ranking.map((r) => r.layer).sort()).toEqual(names.sort());
    expect(ranking.slice(0, 2).map((r) => r.layer).sort()).toEqual(BROKEN_LAYERS);
    for (const r of ranking.slice(0, 2)) expect(r.isolated.cosine).toBeLessThan(0.95);
    for (const r of ranking.slice(2)) expect(r.isolated.cosine).toBeGreaterThan(0.999);
  });

  test('options.layers limits the ranking to the named layers', async () => {
    const b = twoBrokenLayersNet();
    const files = await writeModelAndRecord(b.graph, feedsOf(b.graph, 1));
    const ranking = await rankLayerSensitivity(files.model, files.record, feedsOf(b.graph, 2), { backend: 'cpu', layers: ['conv1', 'conv5'] });
    expect(ranking.map((r) => r.layer)).toEqual(['conv5', 'conv1']);
  });
});
