/**
 * Tiny graph builders for unit tests: a placeholder, convs with seeded random weights,
 * BN, bias, activations, the TensorFlow.js fused ops. Every node gets the attributes
 * TensorFlow (and tfjs-converter) expect, so the graphs also run in a Session.
 */
import { attr, DataType, floatTensor, Graph, int32Tensor } from '../../src/ir';
import type { AttrValue, NodeDef } from '../../src/ir';

export { rng } from './random';
import { rng } from './random';

export function uniform(random: () => number, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * random());
}

const T = attr.type(DataType.DT_FLOAT);
const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

export interface ConvOptions {
  strides?: number[];
  padding?: 'SAME' | 'VALID';
  dilations?: number[];
  dataFormat?: string;
}

export class GraphBuilder {
  readonly graph = new Graph();
  readonly random: () => number;

  constructor(seed = 1) {
    this.random = rng(seed);
  }

  input(name = 'input', shape: number[] = [1, 6, 6, 3]): string {
    this.graph.addNode({ name, op: 'Placeholder', attr: { dtype: T, shape: attr.shape(shape) } });
    return name;
  }

  /** A float Const, random in [lo, hi) unless values are given. */
  const(name: string, dims: number[], values?: ArrayLike<number>, lo = -1, hi = 1): string {
    const data = values ?? uniform(this.random, count(dims), lo, hi);
    this.graph.addNode({ name, op: 'Const', attr: { dtype: T, value: attr.tensor(floatTensor(dims, data)) } });
    return name;
  }

  node(name: string, op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    this.graph.addNode({ name, op, inputs, attr: { T, ...attrs } });
    return name;
  }

  conv2d(name: string, x: string, filter: number[] | string, o: ConvOptions = {}): string {
    const w = typeof filter === 'string' ? filter : this.const(`${name}/weights`, filter);
    return this.node(name, 'Conv2D', [x, w], { ...convAttrs(o), use_cudnn_on_gpu: attr.bool(true), explicit_paddings: attr.ints([]) });
  }

  depthwise(name: string, x: string, filter: number[] | string, o: ConvOptions = {}): string {
    const w = typeof filter === 'string' ? filter : this.const(`${name}/weights`, filter);
    return this.node(name, 'DepthwiseConv2dNative', [x, w], { ...convAttrs(o), explicit_paddings: attr.ints([]) });
  }

  /** Conv2DBackpropInput: inputs (input_sizes, filter HWOI, out_backprop). */
  deconv2d(name: string, x: string, filter: number[], outputShape: number[], o: ConvOptions = {}): string {
    const sizes = `${name}/input_sizes`;
    this.graph.addNode({ name: sizes, op: 'Const', attr: { dtype: attr.type(DataType.DT_INT32), value: attr.tensor(int32Tensor([4], outputShape)) } });
    const w = this.const(`${name}/weights`, filter);
    return this.node(name, 'Conv2DBackpropInput', [sizes, w, x], { ...convAttrs(o), use_cudnn_on_gpu: attr.bool(true), explicit_paddings: attr.ints([]) });
  }

  conv3d(name: string, x: string, filter: number[], o: ConvOptions = {}): string {
    const w = this.const(`${name}/weights`, filter);
    return this.node(name, 'Conv3D', [x, w], {
      strides: attr.ints(o.strides ?? [1, 1, 1, 1, 1]),
      padding: attr.str(o.padding ?? 'SAME'),
      dilations: attr.ints(o.dilations ?? [1, 1, 1, 1, 1]),
      data_format: attr.str(o.dataFormat ?? 'NDHWC'),
    });
  }

  matmul(name: string, x: string, weight: number[] | string, o: { transposeA?: boolean; transposeB?: boolean } = {}): string {
    const w = typeof weight === 'string' ? weight : this.const(`${name}/weights`, weight);
    return this.node(name, 'MatMul', [x, w], { transpose_a: attr.bool(o.transposeA ?? false), transpose_b: attr.bool(o.transposeB ?? false) });
  }

  batchMatMul(name: string, a: string, b: string, o: { adjX?: boolean; adjY?: boolean; op?: string } = {}): string {
    return this.node(name, o.op ?? 'BatchMatMulV2', [a, b], { adj_x: attr.bool(o.adjX ?? false), adj_y: attr.bool(o.adjY ?? false) });
  }

  biasAdd(name: string, x: string, channels: number, dataFormat = 'NHWC'): string {
    const b = this.const(`${name}/bias`, [channels]);
    return this.node(name, 'BiasAdd', [x, b], { data_format: attr.str(dataFormat) });
  }

  /** Inference-mode BN with γ, variance in [0.5, 2) so the fold is well conditioned. */
  batchNorm(name: string, x: string, channels: number, o: { op?: string; isTraining?: boolean; epsilon?: number; dataFormat?: string } = {}): string {
    const ranges: [string, number, number][] = [['gamma', 0.5, 1.5], ['beta', -1, 1], ['mean', -1, 1], ['variance', 0.5, 2]];
    const p = ranges.map(([k, lo, hi]) => this.const(`${name}/${k}`, [channels], undefined, lo, hi));
    const attrs: Record<string, AttrValue> = { epsilon: attr.float(o.epsilon ?? 0.001), data_format: attr.str(o.dataFormat ?? 'NHWC'), is_training: attr.bool(o.isTraining ?? false) };
    if ((o.op ?? 'FusedBatchNormV3') !== 'FusedBatchNorm') attrs.U = T;
    return this.node(name, o.op ?? 'FusedBatchNormV3', [x, ...p], attrs);
  }

  add(name: string, a: string, b: string, op = 'AddV2'): string {
    return this.node(name, op, [a, b]);
  }

  mul(name: string, a: string, b: string): string {
    return this.node(name, 'Mul', [a, b]);
  }

  unary(name: string, op: string, x: string): string {
    return this.node(name, op, [x]);
  }

  pool(name: string, op: 'MaxPool' | 'AvgPool', x: string): string {
    return this.node(name, op, [x], { ksize: attr.ints([1, 2, 2, 1]), strides: attr.ints([1, 2, 2, 1]), padding: attr.str('VALID'), data_format: attr.str('NHWC') });
  }

  /** A TensorFlow.js fused op as the converter writes it; `args` are inputs 2.. (bias, alpha, BN params). */
  fused(name: string, op: '_FusedConv2D' | 'FusedDepthwiseConv2dNative' | '_FusedMatMul', x: string, w: string, fusedOps: string[], args: string[], extra: Record<string, AttrValue> = {}): string {
    const common = { fused_ops: attr.strs(fusedOps), num_args: attr.int(args.length), epsilon: attr.float(0), ...extra };
    if (op === '_FusedMatMul') return this.node(name, op, [x, w, ...args], { transpose_a: attr.bool(false), transpose_b: attr.bool(false), ...common });
    const convExtra: Record<string, AttrValue> = op === '_FusedConv2D' ? { use_cudnn_on_gpu: attr.bool(true) } : {};
    return this.node(name, op, [x, w, ...args], { ...convAttrs({}), explicit_paddings: attr.ints([]), ...convExtra, ...common });
  }

  get(name: string): NodeDef {
    return this.graph.getNode(name);
  }
}

function convAttrs(o: ConvOptions): Record<string, AttrValue> {
  return {
    strides: attr.ints(o.strides ?? [1, 1, 1, 1]),
    padding: attr.str(o.padding ?? 'SAME'),
    dilations: attr.ints(o.dilations ?? [1, 1, 1, 1]),
    data_format: attr.str(o.dataFormat ?? 'NHWC'),
  };
}

/** Op type → how many nodes of it the graph has. */
export function opCounts(graph: Graph): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of graph.nodes()) out[n.op] = (out[n.op] ?? 0) + 1;
  return out;
}

/** Names of the nodes reading any output of `name`. */
export function readersOf(graph: Graph, name: string): string[] {
  return graph.dataConsumersOfNode(name).map((c) => c.node.name);
}
