/**
 * The trained CNN as a frozen TensorFlow GraphDef built with the SDK's IR: standard
 * TensorFlow ops with their attributes as TensorFlow 2.x writes them (attributes listed
 * in name order, as TensorFlow's deterministic serialization sorts them). Weights go in
 * as Const nodes; batch norms stay unfolded (FusedBatchNormV3, is_training=false) so that
 * the quantization example has BN folding to do. No tfjs import here: weights come in
 * as plain arrays (see `Weights`).
 */
import { attr, DataType, floatTensor, Graph, int32Tensor } from '../../src/ir';
import type { AttrValue } from '../../src/ir';
import { BN_EPSILON } from './model';

export interface WeightArray {
  shape: number[];
  data: Float32Array;
}
/**
 * Trained weights by "<layer>/<name>": conv and depthwise `kernel` (HWIO / HWCM), batch
 * norm `gamma`, `beta`, `moving_mean`, `moving_variance`, dense `kernel` [in, out], `bias`.
 */
export type Weights = Record<string, WeightArray>;

export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'output';

const T = { T: attr.type(DataType.DT_FLOAT) };
const NHWC = attr.str('NHWC');
const ONES = attr.ints([1, 1, 1, 1]);
const GRAPH_PRODUCER = 1286; // a TensorFlow 2.x GraphDef producer version

type Padding = 'SAME' | 'VALID';

class Builder {
  readonly graph = new Graph([], { versions: { producer: GRAPH_PRODUCER, minConsumer: 0, badConsumers: [] } });
  constructor(private readonly weights: Weights) {}

  weightShape(key: string): number[] {
    return this.weight(key).shape;
  }

  private weight(key: string): WeightArray {
    const w = this.weights[key];
    if (!w) throw new Error(`missing trained weight "${key}"`);
    return w;
  }

  node(name: string, op: string, inputs: string[], attrs: Record<string, AttrValue>): string {
    this.graph.addNode({ name, op, inputs, attr: attrs });
    return name;
  }

  /** A float Const holding the trained weight `key`, named `name`. */
  constWeight(name: string, key: string): string {
    const w = this.weight(key);
    const value = floatTensor(w.shape, w.data);
    return this.node(name, 'Const', [], { dtype: attr.type(DataType.DT_FLOAT), value: attr.tensor(value) });
  }

  conv(layer: string, x: string, stride: number, padding: Padding): string {
    const w = this.constWeight(`${layer}/kernel`, `${layer}/kernel`);
    return this.node(`${layer}/Conv2D`, 'Conv2D', [x, w], {
      ...T, data_format: NHWC, dilations: ONES, explicit_paddings: attr.ints([]), padding: attr.str(padding),
      strides: attr.ints([1, stride, stride, 1]), use_cudnn_on_gpu: attr.bool(true),
    });
  }

  depthwise(layer: string, x: string, stride: number, padding: Padding): string {
    const w = this.constWeight(`${layer}/depthwise_kernel`, `${layer}/kernel`);
    return this.node(`${layer}/depthwise`, 'DepthwiseConv2dNative', [x, w], {
      ...T, data_format: NHWC, dilations: ONES, explicit_paddings: attr.ints([]), padding: attr.str(padding),
      strides: attr.ints([1, stride, stride, 1]),
    });
  }

  batchNorm(layer: string, x: string): string {
    const inputs = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((p) => this.constWeight(`${layer}/${p}`, `${layer}/${p}`));
    return this.node(`${layer}/FusedBatchNormV3`, 'FusedBatchNormV3', [x, ...inputs], {
      ...T, U: attr.type(DataType.DT_FLOAT), data_format: NHWC, epsilon: attr.float(BN_EPSILON),
      exponential_avg_factor: attr.float(1), is_training: attr.bool(false),
    });
  }

  /** MatMul by the layer's kernel, then BiasAdd of its bias. */
  dense(layer: string, x: string): string {
    const kernel = this.constWeight(`${layer}/kernel`, `${layer}/kernel`);
    const mm = this.node(`${layer}/MatMul`, 'MatMul', [x, kernel], { ...T, transpose_a: attr.bool(false), transpose_b: attr.bool(false) });
    const bias = this.constWeight(`${layer}/bias`, `${layer}/bias`);
    return this.node(`${layer}/BiasAdd`, 'BiasAdd', [mm, bias], { ...T, data_format: NHWC });
  }

  relu6(layer: string, x: string): string {
    return this.node(`${layer}/Relu6`, 'Relu6', [x], { ...T });
  }

  pool(op: 'MaxPool' | 'AvgPool', layer: string, x: string, size: number, stride: number, padding: Padding): string {
    const common = { ksize: attr.ints([1, size, size, 1]), padding: attr.str(padding), strides: attr.ints([1, stride, stride, 1]) };
    // MaxPool gained explicit_paddings in TF 2.x; AvgPool has no such attribute.
    const attrs = op === 'MaxPool'
      ? { ...T, data_format: NHWC, explicit_paddings: attr.ints([]), ...common }
      : { ...T, data_format: NHWC, ...common };
    return this.node(`${layer}/${op}`, op, [x], attrs);
  }
}

/** Depthwise → BN → Relu6 → 1×1 Conv2D → BN → AddV2(block input) → Relu6, as in model.ts. */
function residualBlock(b: Builder, name: string, input: string): string {
  let x = b.relu6(`${name}_dw_relu`, b.batchNorm(`${name}_dw_bn`, b.depthwise(`${name}_dw`, input, 1, 'SAME')));
  x = b.batchNorm(`${name}_pw_bn`, b.conv(`${name}_pw`, x, 1, 'SAME'));
  return b.relu6(`${name}_relu`, b.node(`${name}_add/add`, 'AddV2', [x, input], { ...T }));
}

/** The frozen inference graph of the CNN in model.ts: input "input", output "output". */
export function buildFrozenGraph(weights: Weights): Graph {
  const b = new Builder(weights);
  const input = b.node(INPUT_NAME, 'Placeholder', [], { dtype: attr.type(DataType.DT_FLOAT), shape: attr.shape([-1, 28, 28, 1]) });

  let x = b.relu6('conv1_relu', b.batchNorm('conv1_bn', b.conv('conv1', input, 1, 'SAME')));
  x = b.pool('MaxPool', 'pool1', x, 2, 2, 'VALID');
  x = residualBlock(b, 'block1', x);
  x = b.relu6('conv3_relu', b.batchNorm('conv3_bn', b.conv('conv3', x, 2, 'SAME')));
  x = residualBlock(b, 'block2', x);
  x = b.pool('AvgPool', 'pool3', x, 3, 2, 'VALID');

  const flatSize = b.weightShape('fc1/kernel')[0];
  const shape = b.node('flatten/Const', 'Const', [], { dtype: attr.type(DataType.DT_INT32), value: attr.tensor(int32Tensor([2], [-1, flatSize])) });
  x = b.node('flatten/Reshape', 'Reshape', [x, shape], { ...T, Tshape: attr.type(DataType.DT_INT32) });
  x = b.relu6('fc1_relu', b.dense('fc1', x));
  b.node(OUTPUT_NAME, 'Softmax', [b.dense('logits', x)], { ...T });

  b.graph.validate();
  return b.graph;
}

/** Op type → number of nodes, for reports and tests. */
export function opCounts(graph: Graph): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of graph.nodes()) counts[n.op] = (counts[n.op] ?? 0) + 1;
  return counts;
}
