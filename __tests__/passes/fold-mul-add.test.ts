import { attrTensor, toFloat32 } from '../../src/ir';
import { addToBias, findLayers, foldMul, foldWeightMul, newContext, prepareGraph } from '../../src/passes';
import type { GraphPass } from '../../src/passes';
import { GraphBuilder, opCounts, readersOf } from '../helpers/graph-builders';

function run(pass: GraphPass, b: GraphBuilder, skip: string[] = []) {
  const ctx = newContext(skip);
  const report = pass.run(b.graph, ctx);
  b.graph.validate();
  return { report, ctx };
}

const values = (b: GraphBuilder, constName: string) => Float64Array.from(toFloat32(attrTensor(b.graph.getNode(constName))));

describe('fold Mul after a layer', () => {
  test('conv → Mul(scalar): weights scaled, Mul removed, readers read the conv', () => {
    const b = new GraphBuilder(2);
    b.conv2d('conv', b.input(), [1, 1, 3, 4]);
    b.mul('scale', 'conv', b.const('s', [], [0.5]));
    b.unary('relu', 'Relu', 'scale');
    const w = values(b, 'conv/weights');
    const { report, ctx } = run(foldMul, b);
    expect(b.graph.has('scale')).toBe(false);
    expect(b.graph.has('s')).toBe(false);
    expect(b.graph.getNode('relu').inputs).toEqual(['conv']);
    values(b, 'conv/folded_weight').forEach((x, i) => expect(x).toBeCloseTo(w[i] * 0.5, 6));
    expect(report.actions.map((a) => [a.layer, a.nodes])).toEqual([['conv', ['scale']]]);
    expect(ctx.origins.get('conv')).toEqual(['conv', 'scale']);
  });

  test('MatMul → BiasAdd → Mul(per-channel vector, const first): the Mul becomes the BiasAdd', () => {
    const b = new GraphBuilder(3);
    b.matmul('fc', b.input('input', [2, 3]), [3, 4]);
    b.biasAdd('fc/BiasAdd', 'fc', 4);
    b.mul('scale', b.const('s', [4], [1, -2, 3, 0.5]), 'fc/BiasAdd');
    b.unary('out', 'Identity', 'scale');
    const w = values(b, 'fc/weights');
    const bias = values(b, 'fc/BiasAdd/bias');
    const { ctx } = run(foldMul, b);
    const s = [1, -2, 3, 0.5];
    expect(b.graph.getNode('scale')).toMatchObject({ op: 'BiasAdd', inputs: ['fc', 'fc/folded_bias'] });
    expect(b.graph.has('fc/BiasAdd')).toBe(false);
    values(b, 'fc/folded_weight').forEach((x, i) => expect(x).toBeCloseTo(w[i] * s[i % 4], 6));
    values(b, 'fc/folded_bias').forEach((x, c) => expect(x).toBeCloseTo(bias[c] * s[c], 6));
    expect(ctx.origins.get('scale')).toEqual(['fc/BiasAdd', 'scale']);
  });

  test('a Mul that varies over positions is refused; a Mul that is a graph output is reported renamed', () => {
    const b = new GraphBuilder(4);
    b.conv2d('conv', b.input(), [1, 1, 3, 4]);
    b.mul('m', 'conv', b.const('s', [1, 6, 6, 4]));
    const { report } = run(foldMul, b);
    expect(report.skipped[0].reason).toBe('constant of shape [1,6,6,4] is not one value per output channel (4 channels on axis 3), so m cannot fold into the weights');
    const b2 = new GraphBuilder(4);
    b2.conv2d('conv', b2.input(), [1, 1, 3, 4]);
    b2.mul('m', 'conv', b2.const('s', [1], [2]));
    const { ctx } = run(foldMul, b2);
    expect([...ctx.renamedOutputs]).toEqual([['m', 'conv']]);
  });

  test('Mul(Const W, scalar) on the filter folds into one Const and makes the layer quantizable', () => {
    const b = new GraphBuilder(5);
    const w = b.const('w', [1, 1, 3, 2]);
    b.mul('wscale', b.const('s', [], [3]), w);
    b.conv2d('conv', b.input(), 'wscale');
    expect(findLayers(b.graph)[0].reason).toBe('filter of Conv2D comes from Mul wscale, not a Const');
    const before = values(b, 'w');
    const { report, ctx } = run(foldWeightMul, b);
    expect(report.actions.map((a) => a.detail)).toEqual(['folded scalar Mul on the filter into the weight']);
    expect(b.graph.has('wscale')).toBe(false);
    values(b, 'conv/folded_weight').forEach((x, i) => expect(x).toBeCloseTo(before[i] * 3, 6));
    expect(findLayers(b.graph)[0]).toMatchObject({ quantizable: true, weightConst: 'conv/folded_weight' });
    expect(ctx.origins.get('conv')).toEqual(['conv', 'wscale']);
  });

  test('a non-scalar Mul on the filter is reported, not folded', () => {
    const b = new GraphBuilder(5);
    b.mul('wscale', b.const('w', [1, 1, 3, 2]), b.const('s', [2]));
    b.conv2d('conv', b.input(), 'wscale');
    const { report } = run(foldWeightMul, b);
    expect(report.skipped).toEqual([{ pass: 'fold-weight-mul', layer: 'conv', node: 'wscale', reason: 'wscale multiplies the filter by a non-scalar constant' }]);
  });
});

describe('Add of a constant → BiasAdd', () => {
  test('conv → AddV2([C]): the Add becomes the BiasAdd under its own name', () => {
    const b = new GraphBuilder(6);
    b.conv2d('conv', b.input(), [1, 1, 3, 4]);
    b.add('add', 'conv', b.const('c', [4]));
    b.unary('relu', 'Relu', 'add');
    const c = values(b, 'c');
    const { report } = run(addToBias, b);
    expect(b.graph.getNode('add')).toMatchObject({ op: 'BiasAdd', inputs: ['conv', 'conv/folded_bias'] });
    expect(readersOf(b.graph, 'add')).toEqual(['relu']);
    expect(values(b, 'conv/folded_bias')).toEqual(c);
    expect(report.actions[0].detail).toBe('AddV2 of a constant became the BiasAdd of Conv2D');
    expect(findLayers(b.graph).map((l) => l.name)).toEqual(['conv']);
  });

  test('an existing BiasAdd is merged; [1,1,1,C] and scalars broadcast; Add(const, x) order', () => {
    const b = new GraphBuilder(7);
    b.conv2d('conv', b.input(), [1, 1, 3, 4]);
    b.biasAdd('conv/BiasAdd', 'conv', 4);
    b.add('add', b.const('c', [1, 1, 1, 4]), 'conv/BiasAdd', 'Add');
    const bias = values(b, 'conv/BiasAdd/bias');
    const c = values(b, 'c');
    run(addToBias, b);
    expect(opCounts(b.graph).BiasAdd).toBe(1);
    values(b, 'conv/folded_bias').forEach((x, i) => expect(x).toBeCloseTo(bias[i] + c[i], 6));
    const s = new GraphBuilder(7);
    s.matmul('fc', s.input('input', [2, 3]), [3, 5]);
    s.add('add', 'fc', s.const('c', [], [0.25]));
    run(addToBias, s);
    expect(Array.from(values(s, 'fc/folded_bias'))).toEqual([0.25, 0.25, 0.25, 0.25, 0.25]);
  });

  test.each([
    ['the constant varies over positions', (b: GraphBuilder) => b.add('add', 'conv', b.const('c', [6, 1, 4])), 'constant of shape [6,1,4] is not one value per output channel (4 channels on axis 3), so add cannot become a bias'],
    ['the conv has another reader', (b: GraphBuilder) => { b.add('add', 'conv', b.const('c', [4])); b.unary('tap', 'Relu6', 'conv'); }, 'output of conv is also read by tap'],
    ['the constant has more dimensions', (b: GraphBuilder) => b.add('add', 'conv', b.const('c', [1, 1, 1, 1, 1], [1])), 'constant of shape [1,1,1,1,1] has more dimensions than the layer output (4), so add cannot become a bias'],
  ])('refused when %s', (_what, build, reason) => {
    const b = new GraphBuilder(8);
    b.conv2d('conv', b.input(), [1, 1, 3, 4]);
    build(b);
    const { report } = run(addToBias, b);
    expect(report.skipped).toEqual([{ pass: 'add-to-bias', layer: 'conv', node: 'add', reason }]);
    expect(b.graph.getNode('add').op).toBe('AddV2');
  });

  test('Add of two activations is no fusion candidate and stays a tensor-quantization layer', () => {
    const b = new GraphBuilder();
    const x = b.input();
    b.conv2d('conv', x, [1, 1, 3, 3]);
    b.add('add', 'conv', x);
    const { report } = run(addToBias, b);
    expect(report.skipped).toEqual([]);
    expect(findLayers(b.graph).map((l) => [l.name, l.kind])).toEqual([['conv', 'conv2d'], ['add', 'tensor']]);
  });
});

describe('pipeline: fusions enable each other', () => {
  test('depthwise → Mul([C]) → Add([C]) (a decomposed BN) ends as depthwise → BiasAdd', () => {
    const b = new GraphBuilder(10);
    b.depthwise('dw', b.input(), [3, 3, 3, 1]);
    b.mul('dw/mul', 'dw', b.const('g', [3]));
    b.add('dw/add', 'dw/mul', b.const('beta', [3]), 'Add');
    b.unary('relu', 'Relu', 'dw/add');
    const report = prepareGraph(b.graph);
    b.graph.validate();
    expect(opCounts(b.graph)).toEqual({ Placeholder: 1, Const: 2, DepthwiseConv2dNative: 1, BiasAdd: 1, Relu: 1 });
    expect(b.graph.getNode('relu').inputs).toEqual(['dw/add']);
    expect(report.actions.map((a) => a.pass)).toEqual(['fold-mul', 'add-to-bias']);
    expect(report.skipped).toEqual([]);
    expect(report.origins.get('dw')).toEqual(['dw', 'dw/mul']);
    expect(report.origins.get('dw/add')).toEqual(['dw/add']);
  });

  test('the report lists every pass, and origins only name nodes still in the graph', () => {
    const b = new GraphBuilder(12);
    b.conv2d('conv', b.input(), [1, 1, 3, 2]);
    b.biasAdd('conv/BiasAdd', 'conv', 2);
    b.batchNorm('bn', 'conv/BiasAdd', 2);
    b.unary('out', 'Relu', 'bn');
    const report = prepareGraph(b.graph);
    expect(report.doFusion).toBe(true);
    expect(report.passes.map((p) => p.pass)).toEqual(['unfuse-tfjs-ops', 'fold-weight-mul', 'fold-batchnorm', 'fold-mul', 'add-to-bias']);
    expect([...report.origins.keys()].every((n) => b.graph.has(n))).toBe(true);
    expect(report.origins).toEqual(new Map([['conv', ['conv', 'bn']], ['bn', ['conv/BiasAdd', 'bn']]]));
  });

  test('tfjs fused conv → scalar Mul → scalar Add, skip_fusion_layers by layer name', () => {
    const build = () => {
      const b = new GraphBuilder(11);
      b.fused('F', '_FusedConv2D', b.input(), b.const('w', [1, 1, 3, 4]), ['BiasAdd'], [b.const('bias', [4])]);
      b.mul('m', b.const('s', [], [2]), 'F');
      b.add('a', 'm', b.const('c', [], [3]), 'Add');
      b.unary('out', 'Relu6', 'a');
      return b;
    };
    const b = build();
    const report = prepareGraph(b.graph);
    b.graph.validate();
    expect(opCounts(b.graph)).toEqual({ Placeholder: 1, Const: 2, Conv2D: 1, BiasAdd: 1, Relu6: 1 });
    expect(b.graph.getNode('a')).toMatchObject({ op: 'BiasAdd', inputs: ['F', expect.stringMatching(/^F\/folded_bias/)] });
    expect(report.origins.get('a')).toEqual(['F', 'm', 'a']);
    const kept = build();
    const r2 = prepareGraph(kept.graph, { skipFusionLayers: ['F'] });
    expect(opCounts(kept.graph)).toMatchObject({ Conv2D: 1, BiasAdd: 1, Mul: 1, Add: 1 });
    expect(r2.skipped.map((s) => [s.pass, s.node, s.reason])).toEqual([['fold-mul', 'm', 'F is in skip_fusion_layers']]);
  });
});
