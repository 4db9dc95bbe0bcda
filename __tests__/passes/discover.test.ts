import { attr, DataType, makeTensor } from '../../src/ir';
import { findLayers, OP_TABLE } from '../../src/passes';
import type { LayerCandidate } from '../../src/passes';
import { GraphBuilder } from '../helpers/graph-builders';

function only(b: GraphBuilder, name: string): LayerCandidate {
  b.graph.validate();
  const c = findLayers(b.graph).find((l) => l.name === name);
  if (!c) throw new Error(`no candidate ${name}`);
  return c;
}

describe('op table', () => {
  test('has one row per op of SPEC §2, channel_wise only for the conv family', () => {
    expect([...OP_TABLE.keys()].sort()).toEqual(
      ['Add', 'AddV2', 'AvgPool', 'BatchMatMul', 'BatchMatMulV2', 'Conv2D', 'Conv2DBackpropInput', 'Conv3D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', 'MatMul', 'MaxPool', '_FusedConv2D', '_FusedMatMul'].sort(),
    );
    const channelWise = [...OP_TABLE.values()].filter((r) => r.channelWiseAllowed).map((r) => r.op);
    expect(channelWise.sort()).toEqual(['Conv2D', 'Conv2DBackpropInput', 'Conv3D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', '_FusedConv2D'].sort());
  });
});

describe('findLayers: weighted layers', () => {
  test('Conv2D with a Const filter: per-channel over axis 3 of HWIO', () => {
    const b = new GraphBuilder();
    b.conv2d('conv', b.input(), [3, 3, 3, 8]);
    expect(only(b, 'conv')).toEqual({
      name: 'conv', op: 'Conv2D', kind: 'conv2d', quantizable: true, channelWiseAllowed: true,
      dataInputs: [0], weightInput: 1, weightConst: 'conv/weights', weightChannelAxis: 3, outputChannels: 8, weightLayout: 'HWIO',
    });
  });

  test('one Identity between Const and filter is followed', () => {
    const b = new GraphBuilder();
    b.const('w', [1, 1, 3, 4]);
    b.node('w/read', 'Identity', ['w']);
    b.conv2d('conv', b.input(), 'w/read');
    expect(only(b, 'conv')).toMatchObject({ quantizable: true, weightConst: 'w', outputChannels: 4 });
  });

  test('filter from a Placeholder, through two Identities, or from Identity of a Placeholder: readable reasons', () => {
    const b = new GraphBuilder();
    const x = b.input();
    b.input('x', [1, 1, 3, 4]);
    b.conv2d('c1', x, 'x');
    b.const('w', [1, 1, 3, 4]);
    b.node('i1', 'Identity', ['w']);
    b.node('i2', 'Identity', ['i1']);
    b.conv2d('c2', x, 'i2');
    b.node('ix', 'Identity', ['x']);
    b.conv2d('c3', x, 'ix');
    expect(only(b, 'c1')).toMatchObject({ quantizable: false, reason: 'filter of Conv2D comes from Placeholder x, not a Const' });
    expect(only(b, 'c2').reason).toBe('filter of Conv2D passes through more than one Identity (i2, i1); at most one is supported');
    expect(only(b, 'c3').reason).toBe('filter of Conv2D comes from Placeholder x (through Identity ix), not a Const');
  });

  test('a filter that is not float32, or of the wrong rank, is refused', () => {
    const b = new GraphBuilder();
    b.graph.addNode({ name: 'w8', op: 'Const', attr: { dtype: attr.type(DataType.DT_INT8), value: attr.tensor(makeTensor(DataType.DT_INT8, [1, 1, 3, 2], new Int8Array(6))) } });
    const x = b.input();
    b.conv2d('c8', x, 'w8');
    b.const('w2', [3, 2]);
    b.conv2d('c2d', x, 'w2');
    expect(only(b, 'c8').reason).toBe('filter of Conv2D is a DT_INT8 Const; only float32 weights can be quantized');
    expect(only(b, 'c2d').reason).toBe('filter of Conv2D has shape [3,2], expected 4 dimensions (HWIO)');
  });

  test('depthwise: scale_w over the C input channels (axis 2), multiplier M reported', () => {
    const b = new GraphBuilder();
    b.depthwise('dw', b.input('input', [1, 6, 6, 4]), [3, 3, 4, 2]);
    expect(only(b, 'dw')).toMatchObject({ kind: 'depthwise', quantizable: true, weightChannelAxis: 2, outputChannels: 4, channelMultiplier: 2, weightLayout: 'HWCM' });
  });

  test('Conv2DBackpropInput: data is input 2, filter input 1, axis 2 of HWOI; dilations must be 1', () => {
    const b = new GraphBuilder();
    const x = b.input('input', [1, 4, 4, 3]);
    b.deconv2d('up', x, [3, 3, 5, 3], [1, 8, 8, 5], { strides: [1, 2, 2, 1] });
    b.deconv2d('up2', x, [3, 3, 5, 3], [1, 8, 8, 5], { dilations: [1, 2, 2, 1] });
    expect(only(b, 'up')).toMatchObject({ kind: 'deconv2d', quantizable: true, dataInputs: [2], weightInput: 1, weightChannelAxis: 2, outputChannels: 5 });
    expect(only(b, 'up2').reason).toBe('Conv2DBackpropInput with dilations [1,2,2,1]: dilations must be all 1');
  });

  test('Conv3D: last axis of DHWIO; dilation along depth must be 1', () => {
    const b = new GraphBuilder();
    const x = b.input('input', [1, 4, 4, 4, 2]);
    b.conv3d('c3', x, [2, 2, 2, 2, 6]);
    b.conv3d('c3d', x, [2, 2, 2, 2, 6], { dilations: [1, 2, 1, 1, 1] });
    b.conv3d('c3h', x, [2, 2, 2, 2, 6], { dilations: [1, 1, 2, 2, 1] });
    expect(only(b, 'c3')).toMatchObject({ kind: 'conv3d', quantizable: true, weightChannelAxis: 4, outputChannels: 6 });
    expect(only(b, 'c3d').reason).toBe('Conv3D dilation along depth must be 1 (dilations [1,2,1,1,1])');
    expect(only(b, 'c3h').quantizable).toBe(true);
  });

  test('MatMul: per-tensor only, columns are output channels; transposes refused', () => {
    const b = new GraphBuilder();
    const x = b.input('input', [2, 5]);
    b.matmul('fc', x, [5, 7]);
    b.matmul('fcT', x, [7, 5], { transposeB: true });
    b.matmul('fcA', x, [5, 7], { transposeA: true });
    b.input('y', [5, 7]);
    b.matmul('fcP', x, 'y');
    expect(only(b, 'fc')).toMatchObject({ kind: 'matmul', quantizable: true, channelWiseAllowed: false, weightChannelAxis: 1, outputChannels: 7, weightLayout: 'KN' });
    expect(only(b, 'fcT').reason).toBe('MatMul with transpose_b=true is not supported');
    expect(only(b, 'fcA').reason).toBe('MatMul with transpose_a=true is not supported');
    expect(only(b, 'fcP').reason).toBe('weight (input 1) of MatMul comes from Placeholder y, not a Const');
  });

  test('BatchMatMul: Const 2-D second input is a weight; otherwise two activations; adj_x/adj_y refused', () => {
    const b = new GraphBuilder();
    const x = b.input('input', [2, 3, 5]);
    const y = b.input('y', [2, 5, 4]);
    b.batchMatMul('bw', x, b.const('w2', [5, 4]));
    b.batchMatMul('ba', x, y, { op: 'BatchMatMul' });
    b.batchMatMul('b3', x, b.const('w3', [2, 5, 4]));
    b.batchMatMul('bx', x, y, { adjX: true, op: 'BatchMatMul' });
    b.batchMatMul('by', x, b.const('w4', [4, 5]), { adjY: true });
    expect(only(b, 'bw')).toMatchObject({ kind: 'batchmatmul_weight', quantizable: true, dataInputs: [0], weightConst: 'w2', outputChannels: 4, channelWiseAllowed: false });
    expect(only(b, 'ba')).toMatchObject({ kind: 'batchmatmul_act', quantizable: true, dataInputs: [0, 1] });
    expect(only(b, 'ba').weightConst).toBeUndefined();
    expect(only(b, 'b3')).toMatchObject({ kind: 'batchmatmul_act', dataInputs: [0, 1] });
    expect(only(b, 'bx').reason).toBe('BatchMatMul with adj_x=true is not supported');
    expect(only(b, 'by')).toMatchObject({ kind: 'batchmatmul_weight', quantizable: false, reason: 'BatchMatMulV2 with adj_y=true is not supported' });
  });
});

describe('findLayers: pools and tensor quantization', () => {
  test('AvgPool is a layer without weight; MaxPool and Add/AddV2 quantize their non-constant inputs', () => {
    const b = new GraphBuilder();
    const x = b.input();
    b.pool('avg', 'AvgPool', x);
    b.pool('max', 'MaxPool', x);
    b.add('a1', x, b.const('c', [3]), 'Add');
    b.add('a2', b.const('c2', [3]), x);
    b.add('a3', x, 'max');
    b.add('a4', 'c', 'c2');
    expect(only(b, 'avg')).toMatchObject({ kind: 'avgpool', quantizable: true, dataInputs: [0], channelWiseAllowed: false });
    expect(only(b, 'avg').weightInput).toBeUndefined();
    expect(only(b, 'max')).toMatchObject({ kind: 'tensor', quantizable: true, dataInputs: [0] });
    expect(only(b, 'a1')).toMatchObject({ kind: 'tensor', op: 'Add', dataInputs: [0] });
    expect(only(b, 'a2')).toMatchObject({ kind: 'tensor', dataInputs: [1] });
    expect(only(b, 'a3')).toMatchObject({ kind: 'tensor', dataInputs: [0, 1] });
    expect(only(b, 'a4')).toMatchObject({ quantizable: false, reason: 'every input of AddV2 is a constant; there is no activation to quantize' });
  });

  test('an op on int32 tensors (index arithmetic) is listed but not quantizable', () => {
    const b = new GraphBuilder();
    b.graph.addNode({ name: 'i', op: 'Placeholder', attr: { dtype: attr.type(DataType.DT_INT32) } });
    b.graph.addNode({ name: 'sum', op: 'AddV2', inputs: ['i', 'i'], attr: { T: attr.type(DataType.DT_INT32) } });
    expect(only(b, 'sum')).toMatchObject({ kind: 'tensor', quantizable: false, reason: 'AddV2 computes on DT_INT32 tensors; only float32 layers can be quantized' });
  });

  test('every table op is found, others are not; order is the graph order', () => {
    const b = new GraphBuilder();
    const x = b.input();
    b.conv2d('conv', x, [1, 1, 3, 3]);
    b.unary('relu', 'Relu', 'conv');
    b.pool('max', 'MaxPool', 'relu');
    expect(findLayers(b.graph).map((l) => l.name)).toEqual(['conv', 'max']);
  });
});

describe('findLayers: TensorFlow.js fused ops', () => {
  function fusedGraph(fusedOps: string[], nargs = 1, op: '_FusedConv2D' | '_FusedMatMul' = '_FusedConv2D') {
    const b = new GraphBuilder();
    const x = op === '_FusedMatMul' ? b.input('input', [2, 3]) : b.input();
    const w = b.const('w', op === '_FusedMatMul' ? [3, 4] : [1, 1, 3, 4]);
    const args = Array.from({ length: nargs }, (_, i) => b.const(`arg${i}`, [4]));
    b.fused('f', op, x, w, fusedOps, args);
    return b;
  }

  test('a splittable fused conv is discovered as its plain op', () => {
    expect(only(fusedGraph(['BiasAdd', 'Relu']), 'f')).toMatchObject({ op: '_FusedConv2D', kind: 'conv2d', quantizable: true, weightConst: 'w', outputChannels: 4, channelWiseAllowed: true });
    expect(only(fusedGraph(['BiasAdd'], 1, '_FusedMatMul'), 'f')).toMatchObject({ kind: 'matmul', quantizable: true, channelWiseAllowed: false });
  });

  test('fused_ops that cannot be split are explained', () => {
    expect(only(fusedGraph(['BiasAdd', 'Add', 'Relu'], 2), 'f').reason).toBe('_FusedConv2D with fused_ops [BiasAdd, Add, Relu] cannot be split: at most an extra op and one activation are supported');
    expect(only(fusedGraph(['Relu'], 0), 'f').reason).toMatch(/^_FusedConv2D with fused_ops \[Relu\] cannot be split: the first fused op must be BiasAdd or FusedBatchNorm/);
    expect(only(fusedGraph(['BiasAdd', 'Softplus']), 'f').reason).toBe('_FusedConv2D with fused_ops [BiasAdd, Softplus] cannot be split: activation Softplus is not supported');
    expect(only(fusedGraph(['BiasAdd', 'Prelu'], 1), 'f').reason).toBe('_FusedConv2D with fused_ops [BiasAdd, Prelu] has 3 inputs, expected 4');
  });

  test('a fused MatMul obeys MatMul constraints', () => {
    const b = fusedGraph(['BiasAdd'], 1, '_FusedMatMul');
    b.get('f').attr.transpose_b = attr.bool(true);
    expect(only(b, 'f').reason).toBe('_FusedMatMul with transpose_b=true is not supported');
  });
});
