/**
 * Every rewrite of prepareGraph keeps the graph's outputs: the prepared graph and the
 * original run in the cpu Session on the same random input, and max|Δ| / max|y| ≤ 1e-5.
 */
import { attr, attrTensor, toFloat32 } from '../../src/ir';
import { prepareGraph } from '../../src/passes';
import { GraphBuilder } from '../helpers/graph-builders';
import { compareGraphs } from './session-compare';

const TOLERANCE = 1e-5;

type Scenario = [string, (b: GraphBuilder) => void, string[]];

/** Each builds on a fresh GraphBuilder and ends in a node named 'out'; the list names the passes that must act. */
const SCENARIOS: Scenario[] = [
  ['conv → BN → Relu', (b) => b.unary('out', 'Relu', b.batchNorm('bn', b.conv2d('conv', b.input(), [3, 3, 3, 4], { strides: [1, 2, 2, 1] }), 4)), ['fold-batchnorm']],
  ['conv → BiasAdd → FusedBatchNorm (V1)', (b) => b.unary('out', 'Identity', b.batchNorm('bn', b.biasAdd('ba', b.conv2d('conv', b.input(), [3, 3, 3, 4]), 4), 4, { op: 'FusedBatchNorm' })), ['fold-batchnorm']],
  ['depthwise (M=2) → BN', (b) => b.unary('out', 'Relu6', b.batchNorm('bn', b.depthwise('dw', b.input(), [3, 3, 3, 2]), 6)), ['fold-batchnorm']],
  ['Conv2DBackpropInput → BN', (b) => b.unary('out', 'Identity', b.batchNorm('bn', b.deconv2d('up', b.input('input', [1, 3, 3, 2]), [3, 3, 5, 2], [1, 6, 6, 5], { strides: [1, 2, 2, 1] }), 5)), ['fold-batchnorm']],
  ['conv → Mul(scalar)', (b) => b.unary('out', 'Relu', b.mul('m', b.conv2d('conv', b.input(), [3, 3, 3, 4]), b.const('s', [], [-0.75]))), ['fold-mul']],
  ['MatMul → BiasAdd → Mul([C])', (b) => b.unary('out', 'Identity', b.mul('m', b.const('s', [5]), b.biasAdd('ba', b.matmul('fc', b.input('input', [2, 3]), [3, 5]), 5))), ['fold-mul']],
  ['Mul(W, scalar) on the filter', (b) => b.unary('out', 'Identity', b.conv2d('conv', b.input(), b.mul('wm', b.const('w', [3, 3, 3, 2]), b.const('s', [], [1.5])))), ['fold-weight-mul']],
  ['conv → Add([1,1,1,C])', (b) => b.unary('out', 'Relu', b.add('a', b.conv2d('conv', b.input(), [3, 3, 3, 4]), b.const('c', [1, 1, 1, 4]))), ['add-to-bias']],
  ['conv → BiasAdd → Add([C])', (b) => b.unary('out', 'Relu', b.add('a', b.biasAdd('ba', b.conv2d('conv', b.input(), [3, 3, 3, 4]), 4), b.const('c', [4]), 'Add')), ['add-to-bias']],
  ['MatMul → Add(scalar)', (b) => b.unary('out', 'Identity', b.add('a', b.const('c', [], [0.3]), b.matmul('fc', b.input('input', [2, 3]), [3, 5]))), ['add-to-bias']],
  ['Conv3D → BiasAdd → BN', (b) => b.unary('out', 'Identity', b.batchNorm('bn', b.biasAdd('ba', b.conv3d('c3', b.input('input', [1, 4, 4, 4, 2]), [2, 2, 2, 2, 3]), 3), 3, { dataFormat: 'NDHWC' })), ['fold-batchnorm']],
  ['depthwise → Mul([C]) → Add([C])', (b) => b.unary('out', 'Relu', b.add('a', b.mul('m', b.depthwise('dw', b.input(), [3, 3, 3, 1]), b.const('g', [3])), b.const('beta', [3]), 'Add')), ['fold-mul', 'add-to-bias']],
];

const FUSED: [string, (b: GraphBuilder) => string][] = [
  ['_FusedConv2D [BiasAdd, Relu]', (b) => b.fused('F', '_FusedConv2D', b.input(), b.const('w', [3, 3, 3, 4]), ['BiasAdd', 'Relu'], [b.const('bias', [4])])],
  ['_FusedConv2D [BiasAdd, Relu6]', (b) => b.fused('F', '_FusedConv2D', b.input(), b.const('w', [3, 3, 3, 4], undefined, -2, 2), ['BiasAdd', 'Relu6'], [b.const('bias', [4])])],
  ['_FusedConv2D [BiasAdd, Prelu]', (b) => b.fused('F', '_FusedConv2D', b.input(), b.const('w', [3, 3, 3, 4]), ['BiasAdd', 'Prelu'], [b.const('bias', [4]), b.const('alpha', [4])])],
  ['_FusedConv2D [BiasAdd, LeakyRelu]', (b) => b.fused('F', '_FusedConv2D', b.input(), b.const('w', [3, 3, 3, 4]), ['BiasAdd', 'LeakyRelu'], [b.const('bias', [4])], { leakyrelu_alpha: attr.float(0.1) })],
  ['_FusedConv2D [BiasAdd, Elu]', (b) => b.fused('F', '_FusedConv2D', b.input(), b.const('w', [3, 3, 3, 4]), ['BiasAdd', 'Elu'], [b.const('bias', [4])])],
  ['_FusedConv2D [BiasAdd, Sigmoid]', (b) => b.fused('F', '_FusedConv2D', b.input(), b.const('w', [3, 3, 3, 4]), ['BiasAdd', 'Sigmoid'], [b.const('bias', [4])])],
  ['FusedDepthwiseConv2dNative [BiasAdd, Relu6]', (b) => b.fused('F', 'FusedDepthwiseConv2dNative', b.input(), b.const('w', [3, 3, 3, 2]), ['BiasAdd', 'Relu6'], [b.const('bias', [6])])],
  ['_FusedMatMul [BiasAdd, Relu]', (b) => b.fused('F', '_FusedMatMul', b.input('input', [2, 3]), b.const('w', [3, 5]), ['BiasAdd', 'Relu'], [b.const('bias', [5])])],
];

describe('prepareGraph keeps outputs (cpu Session, relative 1e-5)', () => {
  test.each(SCENARIOS)('%s', async (_name, build, passes) => {
    const b = new GraphBuilder(21);
    build(b);
    const before = b.graph.clone();
    const report = prepareGraph(b.graph);
    b.graph.validate();
    expect([...new Set(report.actions.map((a) => a.pass))].sort()).toEqual([...passes].sort());
    expect(report.skipped).toEqual([]);
    expect(await compareGraphs(before, b.graph, ['out'])).toBeLessThanOrEqual(TOLERANCE);
  });

  test.each(FUSED)('unfusing %s', async (_name, build) => {
    const b = new GraphBuilder(22);
    b.unary('out', 'Identity', build(b));
    const before = b.graph.clone();
    const report = prepareGraph(b.graph, { doFusion: false });
    b.graph.validate();
    expect(report.actions.map((a) => a.pass)).toEqual(['unfuse-tfjs-ops']);
    expect(await compareGraphs(before, b.graph, ['out'])).toBeLessThanOrEqual(TOLERANCE);
  });

  test('control: the comparison notices a fold that is off (BN epsilon changed in the reference)', async () => {
    const b = new GraphBuilder(24);
    b.unary('out', 'Relu', b.batchNorm('bn', b.conv2d('conv', b.input(), [3, 3, 3, 4]), 4));
    const before = b.graph.clone();
    prepareGraph(b.graph);
    before.getNode('bn').attr.epsilon = attr.float(0.5);
    expect(await compareGraphs(before, b.graph, ['out'])).toBeGreaterThan(1e-3);
  });

  test('_FusedConv2D [FusedBatchNorm, Relu] (tfjs cannot run it) equals conv → BN → Relu after unfuse + fold', async () => {
    const ref = new GraphBuilder(23);
    ref.unary('out', 'Relu', ref.batchNorm('bn', ref.conv2d('F', ref.input(), [3, 3, 3, 4]), 4, { epsilon: 0.001 }));
    const fused = new GraphBuilder();
    const copy = (name: string) => fused.const(name, attrTensor(ref.get(name)).shape.dims, toFloat32(attrTensor(ref.get(name))));
    const args = ['gamma', 'beta', 'mean', 'variance'].map((k) => copy(`bn/${k}`));
    fused.fused('F', '_FusedConv2D', fused.input(), copy('F/weights'), ['FusedBatchNorm', 'Relu'], args, { epsilon: attr.float(0.001) });
    fused.unary('out', 'Identity', 'F');
    prepareGraph(fused.graph);
    fused.graph.validate();
    expect(fused.graph.nodes().some((n) => n.op.includes('BatchNorm'))).toBe(false);
    expect(await compareGraphs(ref.graph, fused.graph, ['out'])).toBeLessThanOrEqual(TOLERANCE);
  });
});
