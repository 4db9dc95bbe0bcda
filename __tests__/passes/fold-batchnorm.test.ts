import { attr, attrTensor, toFloat32 } from '../../src/ir';
import { findLayers, foldBatchNorm, newContext, prepareGraph } from '../../src/passes';
import { GraphBuilder, opCounts, readersOf } from '../helpers/graph-builders';

function run(b: GraphBuilder, skip: string[] = []) {
  const ctx = newContext(skip);
  const report = foldBatchNorm.run(b.graph, ctx);
  b.graph.validate();
  return { report, ctx };
}

const values = (b: GraphBuilder, constName: string) => Float64Array.from(toFloat32(attrTensor(b.graph.getNode(constName))));

/** input → conv [→ bias] → bn → relu */
function convBn(o: { bias?: boolean; op?: string } = {}) {
  const b = new GraphBuilder(7);
  let t = b.conv2d('conv', b.input(), [3, 3, 3, 4]);
  if (o.bias) t = b.biasAdd('conv/BiasAdd', t, 4);
  b.batchNorm('bn', t, 4, { op: o.op });
  b.unary('relu', 'Relu', 'bn');
  return b;
}

describe('fold BN into a conv', () => {
  test('conv → BN: new weights, BN becomes the BiasAdd under its own name', () => {
    const b = convBn();
    const w = values(b, 'conv/weights');
    const [g, beta, mean, v] = ['gamma', 'beta', 'mean', 'variance'].map((k) => values(b, `bn/${k}`));
    const { report, ctx } = run(b);
    const conv = b.graph.getNode('conv');
    expect(conv.inputs[1]).toBe('conv/folded_weight');
    expect(b.graph.getNode('bn')).toMatchObject({ op: 'BiasAdd', inputs: ['conv', 'conv/folded_bias'] });
    expect(readersOf(b.graph, 'bn')).toEqual(['relu']);
    expect(b.graph.has('conv/weights')).toBe(false);
    expect(b.graph.has('bn/gamma')).toBe(false);
    expect(opCounts(b.graph)).toEqual({ Placeholder: 1, Const: 2, Conv2D: 1, BiasAdd: 1, Relu: 1 });
    const k = g.map((x, c) => x / Math.sqrt(v[c] + 0.001));
    const w2 = values(b, 'conv/folded_weight');
    w.forEach((x, i) => expect(w2[i]).toBeCloseTo(x * k[i % 4], 6));
    const b2 = values(b, 'conv/folded_bias');
    b2.forEach((x, c) => expect(x).toBeCloseTo(-mean[c] * k[c] + beta[c], 6));
    expect(report.actions).toEqual([{ pass: 'fold-batchnorm', layer: 'conv', nodes: ['bn'], detail: 'folded FusedBatchNormV3 into Conv2D weights and bias' }]);
    expect(ctx.origins.get('conv')).toEqual(['conv', 'bn']);
    expect(ctx.origins.get('bn')).toEqual(['bn']);
  });

  test('conv → BiasAdd → BN (V1 and V2): one BiasAdd left, b\' = (b − μ)·k + β', () => {
    for (const op of ['FusedBatchNorm', 'FusedBatchNormV2']) {
      const b = convBn({ bias: true, op });
      const bias = values(b, 'conv/BiasAdd/bias');
      const [g, beta, mean, v] = ['gamma', 'beta', 'mean', 'variance'].map((k) => values(b, `bn/${k}`));
      const { ctx } = run(b);
      expect(b.graph.has('conv/BiasAdd')).toBe(false);
      expect(opCounts(b.graph).BiasAdd).toBe(1);
      const b2 = values(b, 'conv/folded_bias');
      b2.forEach((x, c) => expect(x).toBeCloseTo(((bias[c] - mean[c]) * g[c]) / Math.sqrt(v[c] + 0.001) + beta[c], 5));
      expect(ctx.origins.get('bn')).toEqual(['conv/BiasAdd', 'bn']);
    }
  });

  test('depthwise with multiplier: channel c·M + m gets factor k[c·M + m]', () => {
    const b = new GraphBuilder(3);
    b.depthwise('dw', b.input(), [3, 3, 3, 2]);
    b.batchNorm('bn', 'dw', 6);
    const w = values(b, 'dw/weights');
    const [g, , , v] = ['gamma', 'beta', 'mean', 'variance'].map((k) => values(b, `bn/${k}`));
    run(b);
    const w2 = values(b, 'dw/folded_weight');
    w.forEach((x, i) => expect(w2[i]).toBeCloseTo((x * g[i % 6]) / Math.sqrt(v[i % 6] + 0.001), 6));
  });

  test('Conv2DBackpropInput: output channels are axis 2 of HWOI', () => {
    const b = new GraphBuilder(4);
    b.deconv2d('up', b.input('input', [1, 3, 3, 2]), [2, 2, 5, 2], [1, 6, 6, 5], { strides: [1, 2, 2, 1] });
    b.batchNorm('bn', 'up', 5);
    const w = values(b, 'up/weights');
    const [g, , , v] = ['gamma', 'beta', 'mean', 'variance'].map((k) => values(b, `bn/${k}`));
    run(b);
    const w2 = values(b, 'up/folded_weight');
    w.forEach((x, i) => {
      const o = Math.floor(i / 2) % 5;
      expect(w2[i]).toBeCloseTo((x * g[o]) / Math.sqrt(v[o] + 0.001), 6);
    });
  });

  test('a shared weight Const is never modified; each conv gets its own folded Const', () => {
    const b = new GraphBuilder(5);
    const x = b.input();
    const w = b.const('shared', [1, 1, 3, 4]);
    b.conv2d('c1', x, w);
    b.conv2d('c2', x, w);
    b.batchNorm('bn1', 'c1', 4);
    b.batchNorm('bn2', 'c2', 4);
    const before = values(b, 'shared');
    const data = attrTensor(b.graph.getNode('shared')).data;
    run(b);
    expect(b.graph.has('shared')).toBe(false);
    expect(Float64Array.from(data as Float32Array)).toEqual(before);
    expect(b.graph.getNode('c1').inputs[1]).toBe('c1/folded_weight');
    expect(b.graph.getNode('c2').inputs[1]).toBe('c2/folded_weight');
  });

  test.each([
    ['training mode', (b: GraphBuilder) => void (b.get('bn').attr.is_training = attr.bool(true)), 'FusedBatchNormV3 bn is in training mode (is_training is not false)'],
    ['a batch statistic is read', (b: GraphBuilder) => b.unary('stat', 'Identity', 'bn:1'), 'outputs 1-5 (batch statistics) of bn are read by other nodes'],
    ['the conv output has another reader', (b: GraphBuilder) => b.unary('tap', 'Identity', 'conv'), 'output of conv is also read by tap'],
    ['gamma is not a Const', (b: GraphBuilder) => { b.input('g', [4]); b.graph.replaceInput('bn', 1, 'g'); }, 'scale of FusedBatchNormV3 comes from Placeholder g, not a Const'],
  ])('refused when %s', (_what, edit, reason) => {
    const b = convBn();
    edit(b);
    const { report } = run(b);
    expect(report.skipped).toEqual([{ pass: 'fold-batchnorm', layer: 'conv', node: 'bn', reason }]);
    expect(b.graph.getNode('bn').op).toBe('FusedBatchNormV3');
    expect(b.graph.getNode('conv').inputs[1]).toBe('conv/weights');
  });

  test('skip_fusion_layers and do_fusion=false leave the BN alone', () => {
    const b = convBn();
    const { report } = run(b, ['conv']);
    expect(report.skipped[0].reason).toBe('conv is in skip_fusion_layers');
    const b2 = convBn();
    const r2 = prepareGraph(b2.graph, { doFusion: false });
    expect(r2.actions).toEqual([]);
    expect(b2.graph.getNode('bn').op).toBe('FusedBatchNormV3');
  });

  test('a BN after something that is not a layer is not a fusion candidate', () => {
    const b = new GraphBuilder();
    b.batchNorm('bn', b.input(), 3);
    const { report } = run(b);
    expect(report).toEqual({ pass: 'fold-batchnorm', actions: [], skipped: [] });
  });

  test('tfjs _FusedConv2D with FusedBatchNorm: unfused, then folded; the layer keeps its name', () => {
    const b = new GraphBuilder(9);
    const args = ['s', 'o', 'm', 'v'].map((n) => b.const(n, [4], undefined, 0.5, 1.5));
    b.fused('F', '_FusedConv2D', b.input(), b.const('w', [1, 1, 3, 4]), ['FusedBatchNorm', 'Relu'], args, { epsilon: { kind: 'f', value: 0.001 } });
    b.unary('out', 'Identity', 'F');
    const report = prepareGraph(b.graph);
    b.graph.validate();
    expect(opCounts(b.graph)).toEqual({ Placeholder: 1, Const: 2, Conv2D: 1, BiasAdd: 1, Relu: 1, Identity: 1 });
    expect(b.graph.getNode('F/FusedBatchNorm').op).toBe('BiasAdd');
    expect(report.origins.get('F')).toEqual(['F']);
    expect(report.origins.get('F/FusedBatchNorm')).toEqual(['F']);
    expect(findLayers(b.graph)).toMatchObject([{ name: 'F', op: 'Conv2D', quantizable: true, weightConst: 'F/folded_weight' }]);
  });
});
