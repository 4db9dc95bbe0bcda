/**
 * Shared by the accuracy-tool tests: a model and record written to a temp folder, the
 * float-vs-fake-quant sums computed independently of src/analysis (fake-quant graph of
 * save-fixtures, error sums in JS), and a net with exactly two layers that INT8 breaks.
 */
import { attr, DataType, int32Tensor } from '../../src/ir';
import type { Graph } from '../../src/ir';
import type { KeyedLayerRecord } from '../../src/record';
import { GraphBuilder } from '../helpers/graph-builders';
import { randomFeeds } from '../passes/session-compare';
import { calibrate, FeedMap, runSession, tmpDir, writeModel, writeRecordFile } from '../api/save-fixtures';

export interface ModelFiles {
  dir: string;
  model: string;
  record: string;
  records: KeyedLayerRecord[];
}

export async function writeModelAndRecord(graph: Graph, calib: FeedMap[], options: Parameters<typeof calibrate>[2] = {}, keep: (key: string) => boolean = () => true): Promise<ModelFiles> {
  const dir = tmpDir();
  const records = (await calibrate(graph, calib, { algo: 'minmax', ...options })).filter((r) => keep(r.key));
  return { dir, model: await writeModel(graph, dir), record: await writeRecordFile(dir, records), records };
}

export const feedsOf = (g: Graph, ...seeds: number[]): FeedMap[] => seeds.map((k) => randomFeeds(g, k));

/** [Σab, Σa², Σb², Σ(a−b)²] of two equal-length arrays, added to `into`. */
export function addSums(into: number[], a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    into[0] += a[i] * b[i];
    into[1] += a[i] * a[i];
    into[2] += b[i] * b[i];
    into[3] += d * d;
  }
  return into;
}

/** The same tensor of two graphs over the feeds, as error sums. */
export async function sumsBetween(reference: Graph, refTensor: string, test: Graph, testTensor: string, feeds: FeedMap[]): Promise<number[]> {
  const sums = [0, 0, 0, 0];
  for (const f of feeds) {
    const [a] = await runSession(reference, [refTensor], f);
    const [b] = await runSession(test, [testTensor], f);
    addSums(sums, a.data as Float32Array, b.data as Float32Array);
  }
  return sums;
}

export const BROKEN_LAYERS = ['conv3', 'conv5'];

/**
 * Six 3×3 convs (16 channels, ReLU between). The producers of conv3's and conv5's inputs
 * add a bias of 1000 to channel 0 and those two convs give channel 0 zero weight: in
 * float the huge channel changes nothing, but their per-tensor activation scale (range
 * 0..1000, ~4 per step) leaves every other input channel one or two levels. Every other
 * layer sees inputs of range ~1: INT8 costs them next to nothing.
 *
 * `channel0Weight` > 0 gives channel 0 that weight instead of zero: the same break, but
 * one the DMQ balancer repairs (s_0 large moves the range into the weight; with a zero
 * weight s_0 = 1 and nothing moves).
 */
export function twoBrokenLayersNet(seed = 5, channel0Weight = 0): GraphBuilder {
  const b = new GraphBuilder(seed);
  const C = 16;
  let x = b.input('input', [1, 8, 8, 3]);
  let cin = 3;
  for (let i = 1; i <= 6; i++) {
    const name = `conv${i}`;
    const w = Float32Array.from({ length: 9 * cin * C }, () => (b.random() * 2 - 1) / Math.sqrt(9 * cin));
    if (BROKEN_LAYERS.includes(name)) for (let k = 0; k < w.length; k++) if (Math.floor(k / C) % cin === 0) w[k] = channel0Weight;
    const conv = b.conv2d(name, x, b.const(`${name}/weights`, [3, 3, cin, C], w));
    const bias = Float32Array.from({ length: C }, () => b.random() * 0.2);
    if (BROKEN_LAYERS.includes(`conv${i + 1}`)) bias[0] = 1000;
    x = b.unary(`relu${i}`, 'Relu', b.node(`bias${i}`, 'BiasAdd', [conv, b.const(`bias${i}/b`, [C], bias)], { data_format: attr.str('NHWC') }));
    cin = C;
  }
  b.graph.addNode({ name: 'flat/shape', op: 'Const', attr: { dtype: attr.type(DataType.DT_INT32), value: attr.tensor(int32Tensor([2], [1, 8 * 8 * C])) } });
  b.node('out', 'Reshape', [x, 'flat/shape'], { Tshape: attr.type(DataType.DT_INT32) });
  return b;
}
