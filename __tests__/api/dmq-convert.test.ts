/**
 * convertModel with user-written tensor_balance_factor (SPEC §10) on every layer kind with
 * weights (Conv2D, depthwise M=2, Conv2DBackpropInput, Conv3D, MatMul, BatchMatMul weight
 * mode, the tfjs fused ops): the INT8 graph runs in the Session and equals (relative 1e-5)
 * the reference of the same arithmetic — the float model with a Mul by 1/s before the
 * fake-quantized input and weights w·s fake-quantized per output channel. And the record
 * errors of issue 9 item 6, each naming layer and field.
 */
import * as fs from 'fs';
import * as path from 'path';
import { arq } from '../../src/calib';
import { convertModel } from '../../src/api/save-model';
import { RecordError } from '../../src/errors';
import type { Graph } from '../../src/ir';
import { toFloat32 } from '../../src/ir';
import { loadGraph } from '../../src/io';
import { constValue, findLayers, hasWeights, inputChannelsOf, prepareGraph, weightInputAxis } from '../../src/passes';
import { channelLayout } from '../../src/quant';
import type { KeyedLayerRecord } from '../../src/record';
import { GraphBuilder, rng } from '../helpers/graph-builders';
import { randomFeeds } from '../passes/session-compare';
import { calibrate, fakeQuantGraph, relativeError, runSession, tmpDir, writeModel, writeRecordFile } from './save-fixtures';
import { SCENARIOS } from './save-scenarios';

/** Factors in [0.1, 10] on every weighted layer, with scale_w recomputed by ARQ on w·s. */
function withFactors(model: Graph, records: KeyedLayerRecord[], seed: number): KeyedLayerRecord[] {
  const g = model.clone();
  prepareGraph(g, { doFusion: true });
  const layers = new Map(findLayers(g).map((c) => [c.name, c]));
  const random = rng(seed);
  return records.map((r) => {
    const c = layers.get(r.key);
    if (!c || !hasWeights(c.kind)) return r;
    const n = inputChannelsOf(g, c)!;
    const s = Array.from({ length: n }, () => Math.fround(10 ** (2 * random() - 1)));
    const w = constValue(g, g.getNode(c.name).inputs[c.weightInput!])!;
    const dims = w.shape.dims;
    const { inner, channels } = channelLayout(dims, weightInputAxis(c)!);
    const ws = Float32Array.from(toFloat32(w), (v, i) => Math.fround(v * s[Math.floor(i / inner) % channels]));
    const scaleW = Array.from(arq(ws, dims, r.scaleW.length > 1 ? c.weightChannelAxis : undefined).scale);
    return { ...r, scaleW, offsetW: scaleW.map(() => 0), tensorBalanceFactor: s };
  });
}

const weighted = SCENARIOS.filter((s) => !/two activations|AvgPool|tensor quantization/.test(s.name));

describe('convertModel with user-written balance factors', () => {
  test.each(weighted.map((s) => [s.name, s] as const))('%s', async (_name, sc) => {
    const b = new GraphBuilder(41);
    sc.build(b);
    const dir = tmpDir();
    const calib = [1, 2].map((k) => randomFeeds(b.graph, k));
    const records = withFactors(b.graph, (await calibrate(b.graph, calib)).filter((r) => sc.layers.includes(r.key)), 3);
    expect(records.some((r) => r.tensorBalanceFactor)).toBe(true);
    const result = await convertModel(await writeModel(b.graph, dir), sc.outputs, await writeRecordFile(dir, records), path.join(dir, 'out'));
    const json = JSON.parse(fs.readFileSync(result.quantJson, 'utf8'));
    for (const r of records) if (r.tensorBalanceFactor) expect(json.layers[r.key].dmq_balancer).toMatchObject({ factors: r.tensorBalanceFactor.length, divide: 'mul' });
    const quantized = await loadGraph(result.quantizedPb);
    const reference = fakeQuantGraph(b.graph, records, sc.outputs);
    for (const feeds of [7, 8].map((k) => randomFeeds(b.graph, k))) {
      const int8 = await runSession(quantized, sc.outputs, feeds);
      const ref = await runSession(reference.graph, reference.outputs, feeds);
      int8.forEach((t, k) => expect(relativeError(ref[k].data as Float32Array, t.data as Float32Array)).toBeLessThanOrEqual(1e-5));
    }
  });
});

describe('bad balance factors in a record (typed errors naming layer and field)', () => {
  async function convertWith(edit: (r: KeyedLayerRecord) => KeyedLayerRecord, scenario = 'Conv2D → BiasAdd → Relu'): Promise<unknown> {
    const sc = SCENARIOS.find((s) => s.name === scenario)!;
    const b = new GraphBuilder(41);
    sc.build(b);
    const dir = tmpDir();
    const records = (await calibrate(b.graph, [randomFeeds(b.graph, 1)], { tensors: true })).filter((r) => sc.layers.includes(r.key.replace(/:\d+$/, '')));
    const recordPath = path.join(dir, 'record.txt');
    fs.writeFileSync(recordPath, (await import('../../src/record')).formatRecord(records.map(edit)));
    try {
      await convertModel(await writeModel(b.graph, dir), sc.outputs, recordPath, path.join(dir, 'out'));
    } catch (e) {
      return e;
    }
    throw new Error('convertModel accepted the record');
  }

  test('a factor count that does not match the input channels', async () => {
    const e = await convertWith((r) => (r.key === 'conv' ? { ...r, tensorBalanceFactor: [1, 2] } : r));
    expect(e).toBeInstanceOf(RecordError);
    expect(e).toMatchObject({ code: 'RECORD_MODEL_MISMATCH', layer: 'conv', field: 'tensor_balance_factor' });
    expect((e as Error).message).toMatch(/2 tensor_balance_factor values .* 3 input channels/);
  });

  test.each([[0], [-1], [1e30]])('factor %p is refused with its line', async (bad) => {
    const e = await convertWith((r) => (r.key === 'conv' ? { ...r, tensorBalanceFactor: [1, bad, 1] } : r));
    expect(e).toBeInstanceOf(RecordError);
    expect(e).toMatchObject({ code: 'RECORD_INVALID', layer: 'conv', field: 'tensor_balance_factor' });
    expect((e as RecordError).line).toBeGreaterThan(3);
    expect((e as Error).message).toMatch(/tensor_balance_factor #2 of layer conv must be a finite number in \[FLT_EPSILON, 1\/FLT_EPSILON\]/);
  });

  test('a factor on a layer without weights (AvgPool)', async () => {
    const e = await convertWith((r) => (r.key === 'pool' ? { ...r, tensorBalanceFactor: [1, 1, 1, 1] } : r), 'Conv2D → Relu → AvgPool 2x2');
    expect(e).toBeInstanceOf(RecordError);
    expect(e).toMatchObject({ code: 'RECORD_MODEL_MISMATCH', layer: 'pool', field: 'tensor_balance_factor' });
    expect((e as Error).message).toMatch(/only to layers with weights/);
  });
});
