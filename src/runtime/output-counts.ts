/**
 * How many outputs a node has, for the op types where that is certain, so that "x:1" of
 * a one-output node is refused as FEED_UNKNOWN / FETCH_UNKNOWN before tfjs sees it
 * (tfjs's executeAsync crashes on it with "Cannot read properties of undefined"). Op
 * types not listed are not checked: their count depends on attrs or on tfjs.
 */
import type { NodeDef } from '../ir';

const SINGLE_OUTPUT = new Set([
  'Const', 'Placeholder', 'PlaceholderV2', 'PlaceholderWithDefault', 'Identity', 'NoOp',
  'Relu', 'Relu6', 'Elu', 'Selu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax', 'Exp', 'Log', 'Sqrt', 'Rsqrt', 'Square', 'Abs', 'Neg',
  'Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Div', 'Maximum', 'Minimum', 'Pow', 'SquaredDifference', 'BiasAdd', 'AddN',
  'MatMul', 'BatchMatMul', 'BatchMatMulV2', 'BatchMatMulV3', '_FusedMatMul',
  'Conv2D', 'DepthwiseConv2dNative', '_FusedConv2D', 'FusedDepthwiseConv2dNative', 'Conv2DBackpropInput', 'MaxPool', 'AvgPool',
  'Reshape', 'Squeeze', 'ExpandDims', 'Transpose', 'ConcatV2', 'Pack', 'Pad', 'PadV2', 'Tile', 'Slice', 'StridedSlice', 'GatherV2', 'Cast', 'Shape', 'Fill',
  'Mean', 'Sum', 'Max', 'Min', 'Prod', 'ResizeBilinear', 'ResizeNearestNeighbor',
  'NonMaxSuppressionV2', 'NonMaxSuppressionV3',
  'AscendQuant', 'AscendDequant', 'AscendWeightQuant', 'AscendAntiQuant', 'QuantIfmr', 'QuantHfmg', 'QuantArq',
]);

/** The node's output count when its op type fixes it, else undefined. */
export function knownOutputCount(node: NodeDef): number | undefined {
  return SINGLE_OUTPUT.has(node.op) ? 1 : undefined;
}
