import { attrFloat, attrStrings, attrString, attrBool } from '../../src/ir';
import { findLayers, newContext, prepareGraph, unfuseTfjsOps } from '../../src/passes';
import { GraphBuilder, opCounts, readersOf } from '../helpers/graph-builders';

/** input → F(fused) → out(Identity); args are consts named arg0.. */
function fusedConv(fusedOps: string[], argShapes: number[][], extra = {}) {
  const b = new GraphBuilder();
  const x = b.input();
  const w = b.const('F/weights', [3, 3, 3, 4]);
  const args = argShapes.map((s, i) => b.const(`arg${i}`, s));
  b.fused('F', '_FusedConv2D', x, w, fusedOps, args, extra);
  b.unary('out', 'Identity', 'F');
  return b;
}

function unfuse(b: GraphBuilder) {
  const ctx = newContext();
  const report = unfuseTfjsOps.run(b.graph, ctx);
  b.graph.validate();
  return { report, ctx };
}

describe('unfuse TensorFlow.js fused ops', () => {
  test('_FusedConv2D [BiasAdd, Relu] → Conv2D (same name) + F/BiasAdd + F/Relu; readers rewired', () => {
    const b = fusedConv(['BiasAdd', 'Relu'], [[4]]);
    const { report, ctx } = unfuse(b);
    const g = b.graph;
    expect(g.getNode('F').op).toBe('Conv2D');
    expect(g.getNode('F').inputs).toEqual(['input', 'F/weights']);
    expect(Object.keys(g.getNode('F').attr).sort()).toEqual(['T', 'data_format', 'dilations', 'explicit_paddings', 'padding', 'strides', 'use_cudnn_on_gpu']);
    expect(g.getNode('F/BiasAdd')).toMatchObject({ op: 'BiasAdd', inputs: ['F', 'arg0'] });
    expect(attrString(g.getNode('F/BiasAdd'), 'data_format')).toBe('NHWC');
    expect(g.getNode('F/Relu')).toMatchObject({ op: 'Relu', inputs: ['F/BiasAdd'] });
    expect(g.getNode('out').inputs).toEqual(['F/Relu']);
    expect(readersOf(g, 'F')).toEqual(['F/BiasAdd']);
    expect(report.actions).toEqual([{ pass: 'unfuse-tfjs-ops', layer: 'F', nodes: ['F'], detail: 'split _FusedConv2D into Conv2D + BiasAdd + Relu' }]);
    expect(ctx.origins.get('F/BiasAdd')).toEqual(['F']);
    expect(ctx.origins.get('F/Relu')).toEqual(['F']);
    expect(ctx.renamedOutputs.size).toBe(0);
  });

  test('BiasAdd only, and no fused ops at all', () => {
    const b1 = fusedConv(['BiasAdd'], [[4]]);
    unfuse(b1);
    expect(opCounts(b1.graph)).toMatchObject({ Conv2D: 1, BiasAdd: 1 });
    expect(b1.graph.getNode('out').inputs).toEqual(['F/BiasAdd']);
    const b2 = fusedConv([], []);
    unfuse(b2);
    expect(b2.graph.getNode('F').op).toBe('Conv2D');
    expect(b2.graph.getNode('out').inputs).toEqual(['F']);
  });

  test('Prelu takes alpha from the extra input; LeakyRelu keeps leakyrelu_alpha; Elu, Sigmoid, Relu6', () => {
    const b = fusedConv(['BiasAdd', 'Prelu'], [[4], [4]]);
    unfuse(b);
    expect(b.graph.getNode('F/Prelu')).toMatchObject({ op: 'Prelu', inputs: ['F/BiasAdd', 'arg1'] });
    const l = fusedConv(['BiasAdd', 'LeakyRelu'], [[4]], { leakyrelu_alpha: { kind: 'f', value: 0.1 } });
    unfuse(l);
    expect(attrFloat(l.graph.getNode('F/LeakyRelu'), 'alpha')).toBeCloseTo(0.1);
    for (const act of ['Elu', 'Sigmoid', 'Relu6']) {
      const a = fusedConv(['BiasAdd', act], [[4]]);
      unfuse(a);
      expect(a.graph.getNode(`F/${act}`).op).toBe(act);
    }
  });

  test('FusedBatchNorm becomes an inference-mode FusedBatchNormV3 with the fused epsilon', () => {
    const b = fusedConv(['FusedBatchNorm', 'Relu'], [[4], [4], [4], [4]], { epsilon: { kind: 'f', value: 0.001 } });
    unfuse(b);
    const bn = b.graph.getNode('F/FusedBatchNorm');
    expect(bn).toMatchObject({ op: 'FusedBatchNormV3', inputs: ['F', 'arg0', 'arg1', 'arg2', 'arg3'] });
    expect(attrFloat(bn, 'epsilon')).toBeCloseTo(0.001);
    expect(attrBool(bn, 'is_training')).toBe(false);
    expect(b.graph.getNode('F/Relu').inputs).toEqual(['F/FusedBatchNorm']);
  });

  test('FusedDepthwiseConv2dNative and _FusedMatMul (transpose attrs kept)', () => {
    const b = new GraphBuilder();
    const x = b.input();
    b.fused('D', 'FusedDepthwiseConv2dNative', x, b.const('dw', [3, 3, 3, 1]), ['BiasAdd', 'Relu6'], [b.const('db', [3])]);
    const m = b.input('v', [2, 3]);
    b.fused('M', '_FusedMatMul', m, b.const('mw', [3, 5]), ['BiasAdd'], [b.const('mb', [5])]);
    b.unary('o1', 'Identity', 'D');
    b.unary('o2', 'Identity', 'M');
    unfuse(b);
    expect(b.graph.getNode('D').op).toBe('DepthwiseConv2dNative');
    expect(b.graph.getNode('o1').inputs).toEqual(['D/Relu6']);
    expect(b.graph.getNode('M').op).toBe('MatMul');
    expect(Object.keys(b.graph.getNode('M').attr).sort()).toEqual(['T', 'transpose_a', 'transpose_b']);
    expect(b.graph.getNode('o2').inputs).toEqual(['M/BiasAdd']);
  });

  test('new names never collide; control dependents follow the chain end', () => {
    const b = fusedConv(['BiasAdd', 'Relu'], [[4]]);
    b.const('F/BiasAdd', [1]);
    b.graph.addNode({ name: 'after', op: 'NoOp', controlInputs: ['F'] });
    unfuse(b);
    expect(b.graph.getNode('F/BiasAdd_1').op).toBe('BiasAdd');
    expect(b.graph.getNode('after').controlInputs).toEqual(['F/Relu']);
  });

  test('a fused node nobody reads (a graph output) is reported as renamed', () => {
    const b = new GraphBuilder();
    b.fused('F', '_FusedConv2D', b.input(), b.const('w', [1, 1, 3, 2]), ['BiasAdd', 'Relu'], [b.const('b', [2])]);
    const { ctx } = unfuse(b);
    expect([...ctx.renamedOutputs]).toEqual([['F', 'F/Relu']]);
  });

  test('unsplittable fused ops stay and are reported', () => {
    const b = fusedConv(['BiasAdd', 'Add'], [[4], [1, 6, 6, 4]]);
    const { report } = unfuse(b);
    expect(b.graph.getNode('F').op).toBe('_FusedConv2D');
    expect(report.skipped).toEqual([{ pass: 'unfuse-tfjs-ops', layer: 'F', node: 'F', reason: '_FusedConv2D with fused_ops [BiasAdd, Add] cannot be split: activation Add is not supported' }]);
  });

  test('prepareGraph unfuses even with do_fusion false, and layers keep the fused names', () => {
    const b = fusedConv(['FusedBatchNorm'], [[4], [4], [4], [4]]);
    const report = prepareGraph(b.graph, { doFusion: false });
    b.graph.validate();
    expect(b.graph.getNode('F').op).toBe('Conv2D');
    expect(b.graph.getNode('F/FusedBatchNorm').op).toBe('FusedBatchNormV3');
    expect(report.passes.map((p) => p.pass)).toEqual(['unfuse-tfjs-ops']);
    expect(findLayers(b.graph).map((l) => [l.name, l.op])).toEqual([['F', 'Conv2D']]);
    expect(attrStrings(b.graph.getNode('F'), 'fused_ops', [])).toEqual([]);
  });
});
