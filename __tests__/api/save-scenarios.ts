/**
 * One tiny float graph per layer kind of SPEC §2, for the saveModel structure and number
 * tests. Each names its outputs and the layers the record calibrates.
 */
import { attr, DataType, int32Tensor } from '../../src/ir';
import { GraphBuilder } from '../helpers/graph-builders';

export interface Scenario {
  name: string;
  build: (b: GraphBuilder) => void;
  outputs: string[];
  /** Layers (node names after prepareGraph) the record holds. */
  layers: string[];
  /** Calibrate MaxPool/Add inputs too. */
  tensors?: boolean;
  /** Layers left out of the record. */
  skip?: string[];
}

const relu = (b: GraphBuilder, x: string) => b.unary('out', 'Relu', x);

export const SCENARIOS: Scenario[] = [
  {
    name: 'Conv2D → BiasAdd → Relu',
    build: (b) => relu(b, b.biasAdd('ba', b.conv2d('conv', b.input('input', [1, 6, 6, 3]), [3, 3, 3, 4]), 4)),
    outputs: ['out'],
    layers: ['conv'],
  },
  {
    name: 'Conv2D without bias, strided VALID, fetched by its own name (the dequant takes it)',
    build: (b) => b.conv2d('conv', b.input('input', [1, 7, 7, 2]), [3, 3, 2, 3], { strides: [1, 2, 2, 1], padding: 'VALID' }),
    outputs: ['conv'],
    layers: ['conv'],
  },
  {
    name: 'Conv2D → FusedBatchNormV3 (folded) → Relu6',
    build: (b) => b.unary('out', 'Relu6', b.batchNorm('bn', b.conv2d('conv', b.input('input', [1, 6, 6, 3]), [3, 3, 3, 4]), 4)),
    outputs: ['out'],
    layers: ['conv'],
  },
  {
    name: 'DepthwiseConv2dNative M=2 → BiasAdd → Relu6',
    build: (b) => b.unary('out', 'Relu6', b.biasAdd('ba', b.depthwise('dw', b.input('input', [1, 6, 6, 3]), [3, 3, 3, 2]), 6)),
    outputs: ['out'],
    layers: ['dw'],
  },
  {
    name: 'Conv2DBackpropInput → BiasAdd → Relu',
    build: (b) => relu(b, b.biasAdd('ba', b.deconv2d('up', b.input('input', [1, 3, 3, 2]), [3, 3, 5, 2], [1, 6, 6, 5], { strides: [1, 2, 2, 1] }), 5)),
    outputs: ['out'],
    layers: ['up'],
  },
  {
    name: 'Conv3D → BiasAdd → Relu',
    build: (b) => relu(b, b.biasAdd('ba', b.conv3d('c3', b.input('input', [1, 4, 4, 4, 2]), [2, 2, 2, 2, 3]), 3)),
    outputs: ['out'],
    layers: ['c3'],
  },
  {
    name: 'MatMul → BiasAdd → Relu',
    build: (b) => relu(b, b.biasAdd('ba', b.matmul('fc', b.input('input', [2, 8]), [8, 5]), 5)),
    outputs: ['out'],
    layers: ['fc'],
  },
  {
    name: 'BatchMatMulV2 with a constant 2-D weight',
    build: (b) => relu(b, b.batchMatMul('bmm', b.input('input', [2, 3, 8]), b.const('bmm/weights', [8, 5]))),
    outputs: ['out'],
    layers: ['bmm'],
  },
  {
    name: 'BatchMatMulV2 of two activations',
    build: (b) => relu(b, b.batchMatMul('bmm', b.input('a', [2, 3, 4]), b.unary('b_act', 'Tanh', b.input('b', [2, 4, 5])))),
    outputs: ['out'],
    layers: ['bmm'],
  },
  {
    name: 'Conv2D → Relu → AvgPool 2x2',
    build: (b) => b.unary('out', 'Identity', b.pool('pool', 'AvgPool', b.unary('r', 'Relu', b.conv2d('conv', b.input('input', [1, 6, 6, 3]), [3, 3, 3, 4])))),
    outputs: ['out'],
    layers: ['conv', 'pool'],
  },
  {
    name: 'MaxPool and AddV2 tensor quantization',
    build: (b) => {
      const x = b.input('input', [1, 6, 6, 3]);
      const c1 = b.unary('r1', 'Relu', b.conv2d('c1', x, [3, 3, 3, 4]));
      const c2 = b.conv2d('c2', x, [3, 3, 3, 4]);
      b.unary('out', 'Identity', b.pool('mp', 'MaxPool', b.add('add', c1, c2)));
    },
    outputs: ['out'],
    layers: ['c1', 'c2', 'add', 'mp'],
    tensors: true,
  },
  {
    name: '_FusedConv2D [BiasAdd, Relu] fetched by its own name',
    build: (b) => b.fused('F', '_FusedConv2D', b.input('input', [1, 6, 6, 3]), b.const('w', [3, 3, 3, 4]), ['BiasAdd', 'Relu'], [b.const('bias', [4])]),
    outputs: ['F'],
    layers: ['F'],
  },
  {
    name: 'FusedDepthwiseConv2dNative [BiasAdd, Relu6] → Identity',
    build: (b) => b.unary('out', 'Identity', b.fused('F', 'FusedDepthwiseConv2dNative', b.input('input', [1, 6, 6, 3]), b.const('w', [3, 3, 3, 2]), ['BiasAdd', 'Relu6'], [b.const('bias', [6])])),
    outputs: ['out'],
    layers: ['F'],
  },
  {
    name: '_FusedMatMul [BiasAdd] fetched by its own name',
    build: (b) => b.fused('F', '_FusedMatMul', b.input('input', [2, 8]), b.const('w', [8, 5]), ['BiasAdd'], [b.const('bias', [5])], { transpose_a: attr.bool(false) }),
    outputs: ['F'],
    layers: ['F'],
  },
];

/** A small multi-kind net: fused conv, depthwise + BN, MaxPool, residual Add, AvgPool, MatMul. */
export function tinyNet(b: GraphBuilder): void {
  const x = b.input('input', [1, 12, 12, 3]);
  const c1 = b.fused('c1', '_FusedConv2D', x, b.const('c1/w', [3, 3, 3, 8], undefined, -0.5, 0.5), ['BiasAdd', 'Relu'], [b.const('c1/b', [8], undefined, -0.1, 0.1)]);
  const dw = b.unary('dw_act', 'Relu6', b.batchNorm('dw_bn', b.depthwise('dw', c1, [3, 3, 8, 1]), 8));
  const pw = b.biasAdd('pw_ba', b.conv2d('pw', dw, [1, 1, 8, 8], { padding: 'VALID' }), 8);
  const sum = b.add('res', pw, c1);
  const mp = b.pool('mp', 'MaxPool', b.unary('res_act', 'Relu', sum));
  const c2 = b.unary('c2_act', 'Relu', b.biasAdd('c2_ba', b.conv2d('c2', mp, [3, 3, 8, 16], { strides: [1, 2, 2, 1] }), 16));
  const ap = b.pool('ap', 'AvgPool', c2);
  b.graph.addNode({ name: 'flat/shape', op: 'Const', attr: { dtype: attr.type(DataType.DT_INT32), value: attr.tensor(int32Tensor([2], [1, 16])) } });
  const flat = b.node('flat', 'Reshape', [ap, 'flat/shape'], { Tshape: attr.type(DataType.DT_INT32) });
  b.unary('logits_out', 'Identity', b.biasAdd('fc_ba', b.matmul('fc', flat, [16, 10]), 10));
}
