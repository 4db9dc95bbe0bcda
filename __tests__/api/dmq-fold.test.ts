/**
 * Where 1/s goes (SPEC §10): folded into a Mul by a constant ahead of the layer, or a Mul
 * inserted when folding would change something else (a fetched tensor, a second reader, a
 * Mean over the channel axis). Hand-written factors, convertModel, Session numbers against
 * the reference of the same arithmetic. (Folding into a quantized producer's deq_scale:
 * __tests__/api/dmq-balancer.test.ts.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { convertModel } from '../../src/api/save-model';
import type { QuantJson } from '../../src/api/save-quant-json';
import { attr, DataType } from '../../src/ir';
import { loadGraph } from '../../src/io';
import type { KeyedLayerRecord } from '../../src/record';
import { GraphBuilder, opCounts } from '../helpers/graph-builders';
import { randomFeeds } from '../passes/session-compare';
import { calibrate, cosine, fakeQuantGraph, runSession, tmpDir, writeModel, writeRecordFile } from './save-fixtures';

const S = [0.5, 4, 0.02, 9];

/** input → Mul(gain [4]) → Relu → [Mean over `axes`, kept dims] → conv 1×1×4×3 [, a second reader of relu]. */
function net(o: { axes?: number[]; secondReader?: boolean } = {}): GraphBuilder {
  const b = new GraphBuilder(17);
  const x = b.input('input', [-1, 5, 5, 4]);
  const mul = b.mul('gain', x, b.const('gain/k', [4], [1, 30, 0.01, 2]));
  let t = b.unary('relu', 'Relu', mul);
  if (o.axes) t = b.node('mean', 'Mean', [t, b.const('mean/axes', [o.axes.length], o.axes)], { keep_dims: attr.bool(true), Tidx: attr.type(DataType.DT_INT32) });
  b.unary('out', 'Identity', b.conv2d('conv', t, [1, 1, 4, 3]));
  if (o.secondReader) b.unary('side', 'Identity', 'relu');
  return b;
}

async function convert(b: GraphBuilder, outputs: string[]): Promise<{ json: QuantJson; pb: string; records: KeyedLayerRecord[] }> {
  const dir = tmpDir();
  const records = (await calibrate(b.graph, [randomFeeds(b.graph, 1)])).map((r) => (r.key === 'conv' ? { ...r, tensorBalanceFactor: S } : r));
  const result = await convertModel(await writeModel(b.graph, dir), outputs, await writeRecordFile(dir, records), path.join(dir, 'out'));
  return { json: JSON.parse(fs.readFileSync(result.quantJson, 'utf8')), pb: result.quantizedPb, records };
}

async function agreesWithReference(b: GraphBuilder, pb: string, records: KeyedLayerRecord[], outputs: string[]): Promise<void> {
  const quantized = await loadGraph(pb);
  const ref = fakeQuantGraph(b.graph, records, outputs);
  for (const k of [5, 6]) {
    const feeds = randomFeeds(b.graph, k);
    const [q] = await runSession(quantized, outputs, feeds);
    const [r] = await runSession(ref.graph, ref.outputs, feeds);
    expect(cosine(r.data as Float32Array, q.data as Float32Array)).toBeGreaterThan(0.9999);
  }
}

test('folded into a Mul by a per-channel constant through Relu: no Mul is added', async () => {
  const b = net();
  const { json, pb, records } = await convert(b, ['out']);
  expect(json.layers.conv.dmq_balancer).toMatchObject({ divide: 'folded', into: 'gain', through: ['relu'] });
  expect(opCounts(await loadGraph(pb)).Mul).toBe(1);
  await agreesWithReference(b, pb, records, ['out']);
});

test('a second reader of the path, or a fetched tensor on it, keeps the float Mul', async () => {
  const two = await convert(net({ secondReader: true }), ['out', 'side']);
  expect(two.json.layers.conv.dmq_balancer).toMatchObject({ divide: 'mul', reason: expect.stringMatching(/other readers/) });
  const fetched = await convert(net(), ['out', 'relu']);
  expect(fetched.json.layers.conv.dmq_balancer).toMatchObject({ divide: 'mul', reason: expect.stringMatching(/fetched/) });
  await agreesWithReference(net(), fetched.pb, fetched.records, ['out', 'relu']);
});

test('a Mean whose input rank is not known to be 4-D NHWC (after a Mul, not a conv) keeps the float Mul', async () => {
  const b = net({ axes: [1, 2] });
  const { json, pb, records } = await convert(b, ['out']);
  expect(json.layers.conv.dmq_balancer).toMatchObject({ divide: 'mul', reason: expect.stringMatching(/Mean/) });
  await agreesWithReference(b, pb, records, ['out']);
});
