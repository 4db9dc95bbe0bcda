/**
 * Plan, then rewrite: every number the deployable graph needs (INT8 weights, INT32 bias,
 * packed deq_scale) is computed here for all layers before the graph is touched, so a
 * record that does not fit the model fails without leaving a half-edited graph.
 */
import { QuantizeError, RecordError } from '../../errors';
import { attrInts, attrString, attrTensor, DataType, Graph, NodeDef, TensorValue, toFloat32 } from '../../ir';
import { unreadContent } from '../../ir/tensor-lazy';
import { expandDepthwiseScale, packDeqScale, quantizeBias, quantizeWeights } from '../../quant';
import type { WeightValues } from '../../quant';
import type { LayerRecord } from '../../record';
import { hasWeights, LayerCandidate, recordKeysOf } from '../layer-types';
import { balancedWeight } from './balance';

export interface ActivationQuant {
  /** The record key the scale came from (layer name or name:input). */
  key: string;
  inputIndex: number;
  scaleD: number;
  offsetD: number;
}

export interface WeightQuant {
  /** The Const (possibly behind one Identity) that held the float weights. */
  weightConst: string;
  weightInt8: Int8Array;
  weightShape: number[];
  offsetW: Int8Array;
  /**
   * Shape of the offset_w Const: the weight's rank, 1 except on the channel axis, so it
   * broadcasts against the weight the way Huawei's AscendWeightQuant reads it
   * ([1,1,1,C] for HWIO; [1,1,C,1] for HWCM/HWOI, its "transposed" case).
   */
  offsetShape: number[];
}

export interface BiasQuant {
  biasAdd: string;
  /** The Const that held the float bias. */
  biasConst: string;
  biasInt32: Int32Array;
}

export interface LayerPlan {
  layer: LayerCandidate;
  activations: ActivationQuant[];
  weight?: WeightQuant;
  bias?: BiasQuant;
  /** Packed deq_scale, one per output channel or one. Absent for tensor quantization. */
  deqScale?: BigUint64Array;
  ksize: [number, number];
  dataFormat: string;
}

function recordOf(records: Map<string, LayerRecord>, key: string, layer: string): LayerRecord & { scaleD: number; offsetD: number } {
  const r = records.get(key);
  if (r?.scaleD === undefined) {
    throw new RecordError('RECORD_MISSING_LAYER', `cannot find scale_d of layer ${key} in record_file, please check the calibration`, {
      layer,
      hint: 'run the calibration graph for batch_num batches so the record is written, or add the layer to skipLayers',
    });
  }
  return { ...r, scaleD: r.scaleD, offsetD: r.offsetD ?? 0 };
}

/** The Const behind a layer input, looking through one Identity. */
export function constBehind(graph: Graph, tensor: string): NodeDef | undefined {
  let node = graph.producerOf(tensor);
  if (node.op === 'Identity') node = graph.producerOf(node.inputs[0]);
  return node.op === 'Const' ? node : undefined;
}

/** The BiasAdd that is the layer's only reader, with a constant bias, if there is one. */
function foldableBias(graph: Graph, layer: NodeDef): { biasAdd: NodeDef; biasConst: NodeDef } | undefined {
  const readers = graph.dataConsumersOfNode(layer.name);
  if (readers.length !== 1 || readers[0].inputIndex !== 0) return undefined;
  const biasAdd = readers[0].node;
  if (biasAdd.op !== 'BiasAdd' && biasAdd.op !== 'BiasAddV1') return undefined;
  const biasConst = constBehind(graph, biasAdd.inputs[1]);
  return biasConst ? { biasAdd, biasConst } : undefined;
}

function weightScales(layer: LayerCandidate, record: LayerRecord, weight: TensorValue): Float32Array {
  const channels = layer.outputChannels ?? weight.shape.dims[layer.weightChannelAxis ?? weight.shape.dims.length - 1];
  const n = record.scaleW.length;
  if (n === 0) {
    throw new RecordError('RECORD_MODEL_MISMATCH', `layer ${layer.name} has no scale_w in the record, but its weight must be quantized`, {
      layer: layer.name,
      hint: 'the record was made for another model or by hand without scale_w; calibrate this model again',
    });
  }
  if (n !== 1 && n !== channels) {
    throw new RecordError('RECORD_MODEL_MISMATCH', `layer ${layer.name} has ${n} scale_w values in the record but ${channels} output channels in the model`, {
      layer: layer.name,
      hint: 'scale_w holds 1 value (per tensor) or one per output channel; the record was made for another model, calibrate this model again',
    });
  }
  return Float32Array.from(record.scaleW);
}

/** shift_bit of the record as shift_n per scale_w entry (0 when absent), checked like scale_w. */
function shiftBits(layer: LayerCandidate, record: LayerRecord, count: number): Float32Array {
  const bits = record.shiftBit;
  if (bits.length === 0) return new Float32Array(count);
  if (bits.length !== 1 && bits.length !== count) {
    throw new RecordError('RECORD_MODEL_MISMATCH', `layer ${layer.name} has ${bits.length} shift_bit values but ${count} scale_w values`, {
      layer: layer.name,
      hint: 'shift_bit holds 1 value or one per scale_w value',
    });
  }
  return bits.length === count ? Float32Array.from(bits) : new Float32Array(count).fill(bits[0]);
}

/** scale_w per output element of the layer (depthwise with multiplier M > 1 repeats each). */
function scalesPerOutput(layer: LayerCandidate, scaleW: Float32Array, weight: TensorValue): Float32Array {
  if (layer.kind !== 'depthwise' || scaleW.length === 1) return scaleW;
  const multiplier = weight.shape.dims[3] ?? 1;
  return multiplier === 1 ? scaleW : expandDepthwiseScale(scaleW, multiplier);
}

/**
 * The weight as quantizeWeights takes it: a float weight never read since the model was
 * loaded (saveModel's) as the file's bytes, without a copy; else its float32 values,
 * scaled by the DMQ balance factors when the record has them.
 */
function weightValues(layer: LayerCandidate, rec: LayerRecord, w: TensorValue): WeightValues {
  const raw = w.dtype === DataType.DT_FLOAT && !rec.tensorBalanceFactor?.length ? unreadContent(w) : undefined;
  return raw ?? balancedWeight(layer, rec, toFloat32(w), w.shape.dims);
}

function planWeights(graph: Graph, layer: LayerCandidate, node: NodeDef, rec: LayerRecord & { scaleD: number }, plan: LayerPlan): void {
  const wConst = constBehind(graph, node.inputs[layer.weightInput!]);
  if (!wConst) {
    throw new QuantizeError('RECORD_MODEL_MISMATCH', `the weight of layer ${layer.name} is not a constant`, { layer: layer.name });
  }
  const w = attrTensor(wConst);
  const scaleW = weightScales(layer, rec, w);
  const shifts = shiftBits(layer, rec, scaleW.length);
  const axis = scaleW.length === 1 ? undefined : layer.weightChannelAxis;
  const dims = w.shape.dims;
  plan.weight = {
    weightConst: wConst.name,
    weightInt8: quantizeWeights(weightValues(layer, rec, w), dims, scaleW, axis),
    weightShape: [...dims],
    offsetW: new Int8Array(scaleW.length),
    offsetShape: dims.map((_, i) => (i === axis ? scaleW.length : 1)),
  };
  const perOutput = scalesPerOutput(layer, scaleW, w);
  const bias = foldableBias(graph, node);
  if (bias) {
    const b = toFloat32(attrTensor(bias.biasConst));
    plan.bias = { biasAdd: bias.biasAdd.name, biasConst: bias.biasConst.name, biasInt32: quantizeBias(b, rec.scaleD, perOutput, layer.name) };
  }
  plan.deqScale = packDeqScale(rec.scaleD, perOutput, scalesPerOutput(layer, shifts, w));
}

/**
 * The activations a layer quantizes: every record key of the layer, except that tensor
 * quantization (MaxPool/Add) covers only the inputs the record names (tensor_quantize
 * may list one input of an Add).
 */
function activationsOf(layer: LayerCandidate, records: Map<string, LayerRecord>): ActivationQuant[] {
  const all = recordKeysOf(layer).map((key, i) => ({ key, inputIndex: layer.dataInputs[i] }));
  const present = layer.kind === 'tensor' ? all.filter((a) => records.has(a.key)) : [];
  return (present.length > 0 ? present : all).map(({ key, inputIndex }) => {
    const r = recordOf(records, key, layer.name);
    return { key, inputIndex, scaleD: r.scaleD, offsetD: r.offsetD };
  });
}

export function planLayer(graph: Graph, layer: LayerCandidate, records: Map<string, LayerRecord>): LayerPlan {
  const node = graph.getNode(layer.name);
  const activations = activationsOf(layer, records);
  const plan: LayerPlan = {
    layer,
    activations,
    ksize: [1, 1],
    dataFormat: attrString(node, 'data_format', 'NHWC'),
  };
  if (hasWeights(layer.kind)) {
    planWeights(graph, layer, node, recordOf(records, layer.name, layer.name), plan);
  } else if (layer.kind === 'avgpool') {
    const k = attrInts(node, 'ksize', [1, 1, 1, 1]);
    plan.ksize = plan.dataFormat === 'NCHW' ? [k[2], k[3]] : [k[1], k[2]];
    plan.deqScale = packDeqScale(activations[0].scaleD, Float32Array.of(1));
  } else if (layer.kind === 'batchmatmul_act') {
    plan.deqScale = packDeqScale(activations[0].scaleD, Float32Array.of(activations[1].scaleD));
  }
  return plan;
}
