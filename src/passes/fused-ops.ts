/**
 * The `fused_ops` attribute of TensorFlow.js / grappler fused ops (_FusedConv2D,
 * FusedDepthwiseConv2dNative, _FusedMatMul), read the way tfjs-converter executes it:
 * fused_ops[0] is the "extra op" (BiasAdd or FusedBatchNorm, whose arguments are inputs 2..),
 * fused_ops[1] the activation; Prelu takes one more argument (alpha) after the extra op's.
 */
import { attrInt, attrStrings } from '../ir';
import type { NodeDef } from '../ir';

/** Activations tfjs (and TF's remapper) fuse, lower-cased → the TF op that computes them. */
const ACTIVATIONS: Record<string, string> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

export const PLAIN_OP: Record<string, string> = {
  _FusedConv2D: 'Conv2D',
  FusedDepthwiseConv2dNative: 'DepthwiseConv2dNative',
  _FusedMatMul: 'MatMul',
};

export interface UnfusePlan {
  plainOp: string;
  /** Input 2 is a bias (BiasAdd), or inputs 2..5 are scale, offset, mean, variance. */
  extra: 'none' | 'bias' | 'batchnorm';
  /** The activation's TF op, e.g. 'Relu6'; Prelu reads alpha from `alphaInput`. */
  activation?: string;
  alphaInput?: number;
}

function fusedOpsOf(node: NodeDef): string[] {
  return attrStrings(node, 'fused_ops', []);
}

/** The plan to split a fused node into plain ops, or why it cannot be split. */
export function planUnfuse(node: NodeDef): UnfusePlan | string {
  const plainOp = PLAIN_OP[node.op];
  const ops = fusedOpsOf(node);
  const shown = `${node.op} with fused_ops [${ops.join(', ')}]`;
  if (plainOp === undefined) return `${node.op} is not a fused op`;
  if (ops.length > 2) return `${shown} cannot be split: at most an extra op and one activation are supported`;
  const first = ops[0]?.toLowerCase();
  const extra = first === undefined ? 'none' : first === 'biasadd' ? 'bias' : first === 'fusedbatchnorm' ? 'batchnorm' : undefined;
  if (extra === undefined) {
    return `${shown} cannot be split: the first fused op must be BiasAdd or FusedBatchNorm (TensorFlow.js ignores a lone activation); re-convert the model`;
  }
  const second = ops[1]?.toLowerCase();
  const activation = second === undefined ? undefined : ACTIVATIONS[second];
  if (second !== undefined && activation === undefined) return `${shown} cannot be split: activation ${ops[1]} is not supported`;
  const argsBefore = 2 + (extra === 'bias' ? 1 : extra === 'batchnorm' ? 4 : 0);
  const alphaInput = activation === 'Prelu' ? argsBefore : undefined;
  const expected = argsBefore + (alphaInput === undefined ? 0 : 1);
  if (node.inputs.length !== expected) return `${shown} has ${node.inputs.length} inputs, expected ${expected}`;
  const numArgs = attrInt(node, 'num_args', expected - 2);
  if (numArgs !== expected - 2) return `${shown} has num_args=${numArgs}, expected ${expected - 2}`;
  return { plainOp, extra, activation, alphaInput };
}

/** Why a fused node cannot be unfused, or undefined when it can. */
export function describeFusedOps(node: NodeDef): string | undefined {
  const plan = planUnfuse(node);
  return typeof plan === 'string' ? plan : undefined;
}
