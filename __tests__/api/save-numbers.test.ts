/**
 * Numbers of the saved INT8 graph, run in a cpu Session: equal (relative 1e-5) to an
 * independent fake-quant reference built from the record with src/quant, and close to the
 * float graph (cosine ≥ 0.99) with a record from the float graph's activation ranges.
 */
import * as path from 'path';
import { saveModel } from '../../src/api/save-model';
import type { Graph } from '../../src/ir';
import { loadGraph } from '../../src/io';
import { GraphBuilder } from '../helpers/graph-builders';
import { randomFeeds } from '../passes/session-compare';
import { calibrate, CalibrateOptions, cosine, fakeQuantGraph, FeedMap, relativeError, runSession, tmpDir, writeModel, writeRecordFile } from './save-fixtures';
import { SCENARIOS, tinyNet } from './save-scenarios';

interface Measured {
  /** Worst relative error against the fake-quant reference. */
  vsFakeQuant: number;
  /** Worst cosine against the float graph. */
  vsFloat: number;
}

async function measure(model: Graph, outputs: string[], calib: FeedMap[], evalFeeds: FeedMap[], options: CalibrateOptions & { keep?: (key: string) => boolean } = {}): Promise<Measured> {
  const dir = tmpDir();
  const records = (await calibrate(model, calib, options)).filter((r) => options.keep?.(r.key) ?? true);
  const result = await saveModel(await writeModel(model, dir), outputs, await writeRecordFile(dir, records), path.join(dir, 'out'));
  const quantized = await loadGraph(result.quantizedPb);
  const reference = fakeQuantGraph(model, records, outputs);
  const out: Measured = { vsFakeQuant: 0, vsFloat: 1 };
  for (const feeds of evalFeeds) {
    const int8 = await runSession(quantized, outputs, feeds);
    const fake = await runSession(reference.graph, reference.outputs, feeds);
    const float = await runSession(model, outputs, feeds);
    int8.forEach((t, k) => {
      out.vsFakeQuant = Math.max(out.vsFakeQuant, relativeError(fake[k].data as Float32Array, t.data as Float32Array));
      out.vsFloat = Math.min(out.vsFloat, cosine(float[k].data as Float32Array, t.data as Float32Array));
    });
  }
  return out;
}

const seeds = (...s: number[]) => (g: Graph) => s.map((k) => randomFeeds(g, k));

describe('INT8 graph in the Session vs fake-quant reference and float', () => {
  const table: string[] = [];
  afterAll(() => console.log(`cosine vs float / relative error vs fake-quant:\n${table.join('\n')}`));

  test.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (name, sc) => {
    const b = new GraphBuilder(41);
    sc.build(b);
    const keep = (key: string) => sc.layers.includes(key.replace(/:\d+$/, ''));
    const m = await measure(b.graph, sc.outputs, seeds(1, 2)(b.graph), seeds(3, 4)(b.graph), { tensors: sc.tensors, keep });
    table.push(`  ${name}: ${m.vsFloat.toFixed(5)} / ${m.vsFakeQuant.toExponential(1)}`);
    expect(m.vsFakeQuant).toBeLessThanOrEqual(1e-5);
    expect(m.vsFloat).toBeGreaterThanOrEqual(0.99);
  });

  test('a tiny multi-kind net (fused conv, depthwise + BN, residual Add, MaxPool, AvgPool, MatMul)', async () => {
    const b = new GraphBuilder(42);
    tinyNet(b);
    const m = await measure(b.graph, ['logits_out'], seeds(1, 2, 3)(b.graph), seeds(4, 5, 6)(b.graph), { tensors: true });
    console.log(`tiny net: cosine vs float ${m.vsFloat.toFixed(5)}, relative error vs fake-quant ${m.vsFakeQuant.toExponential(2)}`);
    expect(m.vsFakeQuant).toBeLessThanOrEqual(1e-5);
    expect(m.vsFloat).toBeGreaterThanOrEqual(0.99);
  });

  test('the same net with IFMR activations: still close to float', async () => {
    const b = new GraphBuilder(43);
    tinyNet(b);
    const m = await measure(b.graph, ['logits_out'], seeds(1, 2)(b.graph), seeds(7, 8)(b.graph), { algo: 'ifmr', tensors: true });
    console.log(`tiny net (IFMR): cosine vs float ${m.vsFloat.toFixed(5)}`);
    expect(m.vsFakeQuant).toBeLessThanOrEqual(1e-5);
    expect(m.vsFloat).toBeGreaterThanOrEqual(0.99);
  });

  test('control: a wrong scale in the reference is noticed', async () => {
    const b = new GraphBuilder(44);
    SCENARIOS[0].build(b);
    const dir = tmpDir();
    const records = await calibrate(b.graph, [randomFeeds(b.graph, 1)]);
    const result = await saveModel(await writeModel(b.graph, dir), ['out'], await writeRecordFile(dir, records), path.join(dir, 'out'));
    const off = fakeQuantGraph(b.graph, [{ ...records[0], scaleD: records[0].scaleD! * 1.5 }], ['out']);
    const feeds = randomFeeds(b.graph, 3);
    const [int8] = await runSession(await loadGraph(result.quantizedPb), ['out'], feeds);
    const [fake] = await runSession(off.graph, off.outputs, feeds);
    expect(relativeError(fake.data as Float32Array, int8.data as Float32Array)).toBeGreaterThan(1e-3);
  });
});
