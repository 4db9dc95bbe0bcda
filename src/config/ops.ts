/**
 * The op-type knowledge the config needs: which TF op types a .cfg may name, how the
 * TensorFlow.js fused ops map to their plain types, which layer kinds carry weights.
 * Layer discovery owns the full op table; this is only the vocabulary of config files.
 */
import { LayerCandidate, LayerKind } from '../passes/layer-types';

/** tfjs-converter fused ops count as their plain TF type too (SPEC §2). */
const PLAIN_TYPE: Readonly<Record<string, string>> = {
  _FusedConv2D: 'Conv2D',
  FusedDepthwiseConv2dNative: 'DepthwiseConv2dNative',
  _FusedMatMul: 'MatMul',
};

/** Types that quantize as layers: override_layer_types and skip_layer_types may name them. */
export const LAYER_TYPES: readonly string[] = [
  'Conv2D',
  'DepthwiseConv2dNative',
  'Conv2DBackpropInput',
  'Conv3D',
  'MatMul',
  'BatchMatMul',
  'BatchMatMulV2',
  'AvgPool',
  ...Object.keys(PLAIN_TYPE),
];

/** Types that only take tensor quantization: skip_layer_types may name them. */
export const TENSOR_TYPES: readonly string[] = ['MaxPool', 'Add', 'AddV2'];

export const CONV_FAMILY = 'Conv2D, DepthwiseConv2dNative, Conv2DBackpropInput, Conv3D';

const WEIGHTED_KINDS: ReadonlySet<LayerKind> = new Set<LayerKind>([
  'conv2d',
  'depthwise',
  'deconv2d',
  'conv3d',
  'matmul',
  'batchmatmul_weight',
]);

export function hasWeights(kind: LayerKind): boolean {
  return WEIGHTED_KINDS.has(kind);
}

/** Whether a layer of op `op` is of the type a config names: its own or its plain type. */
export function matchesType(op: string, type: string): boolean {
  return op === type || PLAIN_TYPE[op] === type;
}

/** A layer quantized as a layer (listed in the JSON), as opposed to tensor quantization. */
export function isLayerCandidate(c: LayerCandidate): boolean {
  return c.quantizable && c.kind !== 'tensor';
}

/** Both inputs of a BatchMatMul of two activations are quantized symmetric (SPEC §2). */
export function forcesSymmetric(kind: LayerKind): boolean {
  return kind === 'batchmatmul_act';
}
