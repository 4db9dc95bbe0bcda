/**
 * The deployable graph of every layer kind (SPEC §2, §6), read back from the saved .pb:
 * op sequence AscendQuant → layer(AscendWeightQuant(int8, offset_w)) → BiasAdd(Cast(int32))
 * → AscendDequant(uint64) → activation; dtypes; INT8 weights, int32 bias and deq_scale bits
 * equal the src/quant functions of the record's values; Ascend op attrs; float weights gone;
 * outputs under their names.
 */
import * as fs from 'fs';
import * as path from 'path';
import { saveModel } from '../../src/api/save-model';
import type { QuantJson, QuantJsonLayer } from '../../src/api/save-quant-json';
import { attrFloat, attrInt, attrInts, attrString, attrTensor, attrType, DataType, Graph, toFloat32 } from '../../src/ir';
import { loadGraph } from '../../src/io';
import { constValue, findLayers, hasWeights, LayerCandidate, prepareGraph, recordKeysOf } from '../../src/passes';
import { expandDepthwiseScale, packDeqScale, quantizeBias, quantizeWeights } from '../../src/quant';
import type { LayerRecord } from '../../src/record';
import { GraphBuilder } from '../helpers/graph-builders';
import { randomFeeds } from '../passes/session-compare';
import { calibrate, tmpDir, writeModel, writeRecordFile } from './save-fixtures';
import { SCENARIOS } from './save-scenarios';

const f32 = Math.fround;

function checkActivations(q: Graph, layer: ReturnType<Graph['getNode']>, c: LayerCandidate, records: Map<string, LayerRecord>): void {
  recordKeysOf(c).forEach((key, i) => {
    const r = records.get(key);
    if (!r) return;
    let src = q.producerOf(layer.inputs[c.dataInputs[i]]);
    if (c.kind === 'tensor') {
      expect(src.op).toBe('AscendAntiQuant');
      expect(attrFloat(src, 'scale')).toBe(f32(r.scaleD!));
      expect(attrFloat(src, 'offset')).toBe(r.offsetD);
      src = q.producerOf(src.inputs[0]);
    }
    expect(src.op).toBe('AscendQuant');
    expect(attrFloat(src, 'scale')).toBe(f32(1 / r.scaleD!));
    expect(attrFloat(src, 'offset')).toBe(r.offsetD);
    expect(attrInt(src, 'quant_bits')).toBe(8);
    expect(attrString(src, 'dst_type')).toBe('INT8');
    expect(attrType(src, 'T')).toBe(DataType.DT_FLOAT);
  });
}

/** Checks the int8 weight and offset_w; returns scale_w per output channel. */
function checkWeights(q: Graph, p: Graph, layer: ReturnType<Graph['getNode']>, c: LayerCandidate, r: LayerRecord): Float32Array {
  const wq = q.producerOf(layer.inputs[c.weightInput!]);
  expect(wq.op).toBe('AscendWeightQuant');
  expect(attrString(wq, 'dst_type')).toBe('INT8');
  const int8 = attrTensor(q.producerOf(wq.inputs[0]));
  const offset = attrTensor(q.producerOf(wq.inputs[1]));
  const floatW = constValue(p, p.getNode(c.name).inputs[c.weightInput!])!;
  const scaleW = Float32Array.from(r.scaleW);
  const axis = scaleW.length > 1 ? c.weightChannelAxis : undefined;
  expect(int8.dtype).toBe(DataType.DT_INT8);
  expect(int8.shape.dims).toEqual(floatW.shape.dims);
  expect(Array.from(int8.data as Int8Array)).toEqual(Array.from(quantizeWeights(toFloat32(floatW), floatW.shape.dims, scaleW, axis)));
  expect(offset.dtype).toBe(DataType.DT_INT8);
  expect(offset.shape.dims).toEqual(floatW.shape.dims.map((d, i) => (i === axis ? scaleW.length : 1)));
  expect(Array.from(offset.data as Int8Array).every((v) => v === 0)).toBe(true);
  expect(q.has(c.weightConst!)).toBe(false); // the float weight is gone
  const m = c.kind === 'depthwise' && scaleW.length > 1 ? floatW.shape.dims[3] : 1;
  return m > 1 ? expandDepthwiseScale(scaleW, m) : scaleW;
}

/** The BiasAdd (with Cast(int32)) after the layer, when the float graph had a foldable one. */
function checkBias(q: Graph, p: Graph, layer: ReturnType<Graph['getNode']>, c: LayerCandidate, scaleD: number, perOut: Float32Array): ReturnType<Graph['getNode']> {
  const floatReaders = p.dataConsumersOfNode(c.name);
  const floatBias = floatReaders.length === 1 && floatReaders[0].node.op === 'BiasAdd' ? constValue(p, floatReaders[0].node.inputs[1]) : undefined;
  if (!floatBias) return layer;
  const [reader] = q.dataConsumersOfNode(layer.name);
  expect(reader.node.op).toBe('BiasAdd');
  const cast = q.producerOf(reader.node.inputs[1]);
  expect(cast.op).toBe('Cast');
  expect([attrType(cast, 'SrcT'), attrType(cast, 'DstT')]).toEqual([DataType.DT_INT32, DataType.DT_FLOAT]);
  const bias = attrTensor(q.producerOf(cast.inputs[0]));
  expect(bias.dtype).toBe(DataType.DT_INT32);
  expect(Array.from(bias.data as Int32Array)).toEqual(Array.from(quantizeBias(toFloat32(floatBias), scaleD, perOut)));
  return reader.node;
}

function checkDequant(q: Graph, tail: ReturnType<Graph['getNode']>, entry: QuantJsonLayer, deq: BigUint64Array, ksize: number[]): void {
  const readers = q.dataConsumersOfNode(tail.name);
  expect(readers.map((r) => r.node.op)).toEqual(['AscendDequant']);
  const d = readers[0].node;
  expect(entry.output).toBe(d.name);
  const packed = attrTensor(q.producerOf(d.inputs[1]));
  expect(packed.dtype).toBe(DataType.DT_UINT64);
  expect(Array.from(packed.data as BigUint64Array)).toEqual(Array.from(deq));
  expect(attrInts(d, 'ksize')).toEqual(ksize);
  expect(attrString(d, 'data_format')).toBe('NHWC');
}

function checkLayer(q: Graph, p: Graph, c: LayerCandidate, records: Map<string, LayerRecord>, entry: QuantJsonLayer): void {
  const layer = q.getNode(entry.node);
  expect(layer.op).toBe(c.op);
  checkActivations(q, layer, c, records);
  if (c.kind === 'tensor') return;
  const keys = recordKeysOf(c);
  const scaleD = records.get(keys[0])!.scaleD!;
  if (c.kind === 'avgpool') return checkDequant(q, layer, entry, packDeqScale(scaleD, Float32Array.of(1)), [2, 2]);
  if (c.kind === 'batchmatmul_act') return checkDequant(q, layer, entry, packDeqScale(scaleD, Float32Array.of(records.get(keys[1])!.scaleD!)), [1, 1]);
  expect(hasWeights(c.kind)).toBe(true);
  const perOut = checkWeights(q, p, layer, c, records.get(c.name)!);
  const tail = checkBias(q, p, layer, c, scaleD, perOut);
  checkDequant(q, tail, entry, packDeqScale(scaleD, perOut), [1, 1]);
}

describe('saveModel writes the deployable graph of every layer kind', () => {
  test.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, sc) => {
    const b = new GraphBuilder(31);
    sc.build(b);
    const dir = tmpDir();
    const model = await writeModel(b.graph, dir);
    const all = await calibrate(b.graph, [randomFeeds(b.graph, 1), randomFeeds(b.graph, 2)], { tensors: sc.tensors });
    const records = all.filter((r) => sc.layers.includes(r.key.replace(/:\d+$/, '')));
    const result = await saveModel(model, sc.outputs, await writeRecordFile(dir, records), path.join(dir, 'out'));

    const p = b.graph.clone();
    prepareGraph(p);
    const candidates = findLayers(p).filter((c) => sc.layers.includes(c.name));
    expect(result.layers).toEqual(candidates.map((c) => c.name));
    const q = await loadGraph(result.quantizedPb);
    q.validate();
    const json = JSON.parse(fs.readFileSync(result.quantJson, 'utf8')) as QuantJson;
    const map = new Map(records.map((r) => [r.key, r]));
    for (const c of candidates) checkLayer(q, p, c, map, json.layers[c.name]);
    for (const o of sc.outputs) expect(q.has(o)).toBe(true);
    for (const n of q.nodes()) {
      if (n.op.startsWith('Ascend') || n.op === 'Cast') expect(json.nodes[n.name]?.layer).toBeDefined();
    }
  });

  test('an output that is a layer without bias: the AscendDequant takes its name', async () => {
    const sc = SCENARIOS[1];
    const b = new GraphBuilder(31);
    sc.build(b);
    const dir = tmpDir();
    const records = await calibrate(b.graph, [randomFeeds(b.graph, 1)]);
    const result = await saveModel(await writeModel(b.graph, dir), ['conv'], await writeRecordFile(dir, records), path.join(dir, 'out'));
    const q = await loadGraph(result.quantizedPb);
    expect(q.getNode('conv').op).toBe('AscendDequant');
    expect(q.producerOf(q.getNode('conv').inputs[0]).name).toBe('conv/before_dequant');
    expect(q.getNode('conv/before_dequant').op).toBe('Conv2D');
  });

  test('a fused tfjs op fetched by its name: the end of the unfused chain takes the name back', async () => {
    for (const [index, plainOp, lastOp] of [[11, 'Conv2D', 'Relu'], [13, 'MatMul', 'AscendDequant']] as const) {
      const sc = SCENARIOS[index];
      const b = new GraphBuilder(31);
      sc.build(b);
      const dir = tmpDir();
      const records = await calibrate(b.graph, [randomFeeds(b.graph, 1)]);
      const result = await saveModel(await writeModel(b.graph, dir), ['F'], await writeRecordFile(dir, records), path.join(dir, 'out'));
      const q = await loadGraph(result.quantizedPb);
      expect(q.getNode('F').op).toBe(lastOp);
      expect(q.getNode(`F/${plainOp}`).op).toBe(plainOp);
      expect(q.dataConsumersOfNode('F')).toEqual([]);
    }
  });

  test('skip_fusion in the record keeps that layer\'s BN out of its weights, as quantizeModel did', async () => {
    const b = new GraphBuilder(32);
    SCENARIOS[2].build(b); // conv → BN → Relu6
    const dir = tmpDir();
    const [r] = await calibrate(b.graph, [randomFeeds(b.graph, 1)]);
    const unfolded = { ...r, skipFusion: true, scaleW: [0.01, 0.02, 0.03, 0.04], offsetW: [0, 0, 0, 0] };
    const result = await saveModel(await writeModel(b.graph, dir), ['out'], await writeRecordFile(dir, [unfolded]), path.join(dir, 'out'));
    const q = await loadGraph(result.quantizedPb);
    expect(q.getNode('bn').op).toBe('FusedBatchNormV3');
    expect(q.producerOf(q.getNode('bn').inputs[0]).op).toBe('AscendDequant');
    const int8 = attrTensor(q.getNode('conv/weight_quant/int8'));
    const w = attrTensor(b.get('conv/weights'));
    expect(Array.from(int8.data as Int8Array)).toEqual(Array.from(quantizeWeights(toFloat32(w), w.shape.dims, Float32Array.from(unfolded.scaleW), 3)));
  });

  test('shift_bit in the record is packed into deq_scale bits 32–39', async () => {
    const b = new GraphBuilder(31);
    SCENARIOS[0].build(b);
    const dir = tmpDir();
    const [r] = await calibrate(b.graph, [randomFeeds(b.graph, 1)]);
    const shifted = { ...r, shiftBit: [1, 2, 3, 4] };
    const result = await saveModel(await writeModel(b.graph, dir), ['out'], await writeRecordFile(dir, [shifted]), path.join(dir, 'out'));
    const q = await loadGraph(result.quantizedPb);
    const deq = attrTensor(q.getNode('conv/dequant/deq_scale')).data as BigUint64Array;
    expect(Array.from(deq)).toEqual(Array.from(packDeqScale(r.scaleD!, Float32Array.from(r.scaleW), [1, 2, 3, 4])));
    expect(Array.from(deq, (v) => Number((v >> 32n) & 0xffn))).toEqual([1, 2, 3, 4]);
  });
});
