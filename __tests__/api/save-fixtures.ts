/**
 * Shared by the saveModel/convertModel tests: temp folders, a record computed from real
 * activation ranges of a float Session (min/max or IFMR; ARQ for weights), and an
 * independent fake-quant reference built with src/quant only (not with plan/emit): the
 * prepared float graph with each quantized input through quantize→dequantize (a test
 * kernel calling ascendQuant/ascendAntiQuant), weights W_q·scale_w and biases
 * b_q·scale_d·scale_w.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { arq, ifmr } from '../../src/calib';
import { attr, attrFloat, DataType, floatTensor, Graph, toFloat32 } from '../../src/ir';
import { saveGraph } from '../../src/io';
import { constValue, findLayers, hasWeights, LayerCandidate, prepareGraph, recordKeysOf, resolveConst } from '../../src/passes';
import { ascendAntiQuant, ascendQuant, channelLayout, expandDepthwiseScale, quantizeBias, quantizeWeights } from '../../src/quant';
import { KeyedLayerRecord, LayerRecord, writeRecord } from '../../src/record';
import { registerKernel, Session } from '../../src/runtime';
import type { BackendName, FetchedTensor } from '../../src/runtime';

export type FeedMap = Record<string, { data: Float32Array; shape: number[] }>;

const made: string[] = [];

/** A fresh temp folder, removed after the test file (when run under jest). */
export function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-save-'));
  made.push(dir);
  return dir;
}

if (typeof afterAll === 'function') afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

export async function writeModel(graph: Graph, dir: string, name = 'model.pb'): Promise<string> {
  const file = path.join(dir, name);
  await saveGraph(graph, file);
  return file;
}

export async function writeRecordFile(dir: string, records: KeyedLayerRecord[], name = 'record.txt'): Promise<string> {
  const file = path.join(dir, name);
  await writeRecord(file, records);
  return file;
}

export async function runSession(graph: Graph, fetches: string[], feeds: FeedMap, backend: BackendName = 'cpu'): Promise<FetchedTensor[]> {
  const s = await Session.create(graph, { backend });
  try {
    return await s.run(fetches, feeds);
  } finally {
    s.dispose();
  }
}

export interface CalibrateOptions {
  algo?: 'minmax' | 'ifmr';
  /** Quantize MaxPool/Add inputs too (tensor_quantize). */
  tensors?: boolean;
  skip?: string[];
  /** Backend of the float Session that collects activations (default cpu). */
  backend?: BackendName;
}

/** AMCT's asymmetric scale/offset from a range that includes 0. */
function minMaxScale(min: number, max: number, symmetric: boolean): { scaleD: number; offsetD: number } {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (symmetric) return { scaleD: Math.fround(Math.max(-lo, hi) / 127) || 1, offsetD: 0 };
  const s = Math.fround((hi - lo) / 255) || 1;
  return { scaleD: s, offsetD: Math.max(-128, Math.min(127, -Math.round(lo / s) - 128)) };
}

function activationScale(batches: Float32Array[], symmetric: boolean, algo: 'minmax' | 'ifmr', key: string): { scaleD: number; offsetD: number } {
  if (algo === 'ifmr') {
    const r = ifmr(batches, { maxPercentile: 0.999999, minPercentile: 0.999999, searchRange: [0.7, 1.3], searchStep: 0.01, asymmetric: !symmetric, layer: key });
    return { scaleD: r.scale, offsetD: r.offset };
  }
  let min = Infinity;
  let max = -Infinity;
  for (const b of batches) for (const v of b) (min = v < min ? v : min), (max = v > max ? v : max);
  return minMaxScale(min, max, symmetric);
}

function weightRecord(graph: Graph, c: LayerCandidate): number[] {
  const w = constValue(graph, graph.getNode(c.name).inputs[c.weightInput!])!;
  return Array.from(arq(toFloat32(w), w.shape.dims, c.channelWiseAllowed ? c.weightChannelAxis : undefined).scale);
}

/** A record from activation ranges of the float model on `feeds` (what calibration would write). */
export async function calibrate(model: Graph, feedsList: FeedMap[], options: CalibrateOptions = {}): Promise<KeyedLayerRecord[]> {
  const g = model.clone();
  prepareGraph(g, { doFusion: true });
  const layers = findLayers(g).filter((c) => c.quantizable && !(options.skip ?? []).includes(c.name) && (options.tensors || c.kind !== 'tensor'));
  const inputs = layers.flatMap((c) => recordKeysOf(c).map((key, i) => ({ c, key, tensor: g.getNode(c.name).inputs[c.dataInputs[i]] })));
  const batches = new Map<string, Float32Array[]>();
  for (const feeds of feedsList) {
    const out = await runSession(g, inputs.map((i) => i.tensor), feeds, options.backend);
    inputs.forEach((i, k) => batches.set(i.key, [...(batches.get(i.key) ?? []), out[k].data as Float32Array]));
  }
  return inputs.map(({ c, key }) => {
    const act = activationScale(batches.get(key)!, c.kind === 'batchmatmul_act', options.algo ?? 'minmax', key);
    const scaleW = hasWeights(c.kind) ? weightRecord(g, c) : [];
    return { key, ...act, scaleW, offsetW: scaleW.map(() => 0), shiftBit: [] };
  });
}

// ---- fake-quant reference --------------------------------------------------

registerKernel('AmctTestFakeQuant', ({ node, inputs: [x] }) => {
  const scaleD = attrFloat(node, 'scale_d');
  const q = ascendQuant(x.dataSync() as Float32Array, 1 / scaleD, attrFloat(node, 'offset_d'));
  return tf.tensor(ascendAntiQuant(q, scaleD), x.shape, 'float32');
});

/** W_q·scale_w[c] per element (float32), the weight the INT8 layer effectively uses. */
function fakeWeights(w: Float32Array, dims: number[], scaleW: Float32Array, axis: number | undefined): Float32Array {
  const q = quantizeWeights(w, dims, scaleW, axis);
  const { inner, channels } = channelLayout(dims, scaleW.length === 1 ? undefined : axis);
  return Float32Array.from(q, (v, i) => Math.fround(v * scaleW[channels === 1 ? 0 : ((i / inner) | 0) % channels]));
}

function replaceConst(g: Graph, reader: string, index: number, name: string, dims: number[], values: Float32Array): void {
  const c = g.addNode({ name: g.uniqueName(name), op: 'Const', attr: { dtype: attr.type(DataType.DT_FLOAT), value: attr.tensor(floatTensor(dims, values)) } });
  g.replaceInput(reader, index, c.name);
}

/** DMQ balancer (SPEC §10): a float Mul by 1/s on the layer's input edge, as the reference does it. */
function balanceInput(g: Graph, c: LayerCandidate, inputIndex: number, s: number[]): void {
  const node = g.getNode(c.name);
  const edge = g.consumersOf(node.inputs[inputIndex]).filter((e) => e.node.name === c.name && e.inputIndex === inputIndex);
  const k = g.addNode({ name: g.uniqueName(`${c.name}/ref_inv_s`), op: 'Const', attr: { dtype: attr.type(DataType.DT_FLOAT), value: attr.tensor(floatTensor([s.length], s.map((v) => Math.fround(1 / v)))) } });
  g.insertOnEdge(node.inputs[inputIndex], { name: g.uniqueName(`${c.name}/ref_balance`), op: 'Mul', inputs: [k.name], attr: { T: attr.type(DataType.DT_FLOAT) } }, edge);
}

function fakeQuantLayer(g: Graph, c: LayerCandidate, records: ReadonlyMap<string, LayerRecord>): void {
  recordKeysOf(c).forEach((key, i) => {
    const r = records.get(key);
    if (!r) return;
    if (r.tensorBalanceFactor) balanceInput(g, c, c.dataInputs[i], r.tensorBalanceFactor);
    const node = g.getNode(c.name);
    const edge = g.consumersOf(node.inputs[c.dataInputs[i]]).filter((e) => e.node.name === c.name && e.inputIndex === c.dataInputs[i]);
    const spec = { name: g.uniqueName(`${c.name}/ref_fq_${i}`), op: 'AmctTestFakeQuant', attr: { scale_d: attr.float(r.scaleD!), offset_d: attr.float(r.offsetD ?? 0) } };
    g.insertOnEdge(node.inputs[c.dataInputs[i]], spec, edge);
  });
  if (!hasWeights(c.kind)) return;
  const r = records.get(c.name)!;
  const w = resolveConst(g, g.getNode(c.name).inputs[c.weightInput!], 'w', c.op);
  if (!w.ok) throw new Error(w.reason);
  const scaleW = Float32Array.from(r.scaleW);
  const dims = w.value.shape.dims;
  let wf = toFloat32(w.value);
  if (r.tensorBalanceFactor) {
    // w_c·s_c along the input-channel axis (HWIO/HWCM 2, HWOI/DHWIO 3, KN 0)
    const axis = { HWIO: 2, HWCM: 2, HWOI: 3, DHWIO: 3, KN: 0 }[c.weightLayout!];
    const s = r.tensorBalanceFactor;
    const { inner, channels } = channelLayout(dims, axis);
    wf = Float32Array.from(wf, (v, i) => Math.fround(v * s[((i / inner) | 0) % channels]));
  }
  replaceConst(g, c.name, c.weightInput!, `${c.name}/ref_w`, dims, fakeWeights(wf, dims, scaleW, c.weightChannelAxis));
  const readers = g.dataConsumersOfNode(c.name);
  if (readers.length !== 1 || readers[0].node.op !== 'BiasAdd') return;
  const biasAdd = readers[0].node;
  const b = constValue(g, biasAdd.inputs[1]);
  if (!b) return;
  const m = c.kind === 'depthwise' && scaleW.length > 1 ? dims[3] : 1;
  const perOut = m > 1 ? expandDepthwiseScale(scaleW, m) : scaleW;
  const bq = quantizeBias(toFloat32(b), r.scaleD!, perOut, c.name);
  const fake = Float32Array.from(bq, (v, i) => v * Math.fround(r.scaleD! * perOut[perOut.length === 1 ? 0 : i]));
  replaceConst(g, biasAdd.name, 1, `${c.name}/ref_b`, b.shape.dims, fake);
}

/**
 * The float model prepared like saveModel does, with every recorded layer fake-quantized;
 * `outputs` are where the given outputs now are (unfusing may move them).
 */
export function fakeQuantGraph(model: Graph, records: KeyedLayerRecord[], outputs: string[]): { graph: Graph; outputs: string[] } {
  const map = new Map(records.map((r) => [r.key, r]));
  const g = model.clone();
  const report = prepareGraph(g, { doFusion: true, skipFusionLayers: records.filter((r) => r.skipFusion).map((r) => r.key) });
  for (const c of findLayers(g)) if (c.quantizable && recordKeysOf(c).some((k) => map.has(k))) fakeQuantLayer(g, c, map);
  return { graph: g, outputs: outputs.map((o) => report.renamedOutputs.get(o) ?? o) };
}

// ---- comparisons -----------------------------------------------------------

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) (ab += a[i] * b[i]), (aa += a[i] * a[i]), (bb += b[i] * b[i]);
  return ab / Math.sqrt(aa * bb);
}

/** max |a − b| / max |a|. */
export function relativeError(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ref[i] - got[i]);
    diff = d > diff ? d : diff;
    scale = Math.abs(ref[i]) > scale ? Math.abs(ref[i]) : scale;
  }
  return diff / Math.max(scale, 1e-12);
}

/** The node a tensor name points at. */
export function nodeOf(graph: Graph, tensor: string): string {
  return graph.producerOf(tensor).name;
}

export function argmax(a: ArrayLike<number>): number {
  let k = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i;
  return k;
}
