/**
 * planLayer: every number of the deployable graph, computed before any edit, and the
 * record/model mismatches it refuses (the graph is left as it was).
 */
import { attr, attrTensor, toFloat32 } from '../../src/ir';
import { findLayers, LayerCandidate, planLayer, prepareGraph } from '../../src/passes';
import { expandDepthwiseScale, packDeqScale, quantizeBias, quantizeWeights } from '../../src/quant';
import type { LayerRecord } from '../../src/record';
import { GraphBuilder } from '../helpers/graph-builders';

const rec = (r: Partial<LayerRecord>): LayerRecord => ({ scaleW: [], offsetW: [], shiftBit: [], ...r });
const scales = (n: number, base = 0.01) => Array.from({ length: n }, (_, i) => Math.fround(base * (i + 1)));

function layer(b: GraphBuilder, name: string): LayerCandidate {
  prepareGraph(b.graph);
  const c = findLayers(b.graph).find((l) => l.name === name);
  if (!c) throw new Error(`no layer ${name}`);
  return c;
}

describe('planLayer', () => {
  test('conv: int8 weights per channel, int32 bias, deq_scale, offset_w shaped [1,1,1,C]', () => {
    const b = new GraphBuilder(71);
    b.unary('out', 'Relu', b.biasAdd('ba', b.conv2d('conv', b.input(), [3, 3, 3, 4]), 4));
    const c = layer(b, 'conv');
    const records = new Map([['conv', rec({ scaleD: 0.02, offsetD: -128, scaleW: scales(4) })]]);
    const p = planLayer(b.graph, c, records);
    const w = attrTensor(b.get('conv/weights'));
    expect(p.activations).toEqual([{ key: 'conv', inputIndex: 0, scaleD: 0.02, offsetD: -128 }]);
    expect(p.weight!.weightInt8).toEqual(quantizeWeights(toFloat32(w), [3, 3, 3, 4], Float32Array.from(scales(4)), 3));
    expect(p.weight!.offsetShape).toEqual([1, 1, 1, 4]);
    expect(p.bias!.biasAdd).toBe('ba');
    expect(p.bias!.biasInt32).toEqual(quantizeBias(toFloat32(attrTensor(b.get('ba/bias'))), 0.02, Float32Array.from(scales(4))));
    expect(p.deqScale).toEqual(packDeqScale(0.02, Float32Array.from(scales(4))));
    expect([p.ksize, p.dataFormat]).toEqual([[1, 1], 'NHWC']);
  });

  test('per-tensor scale_w: offset_w all ones, one deq_scale', () => {
    const b = new GraphBuilder(72);
    b.conv2d('conv', b.input(), [3, 3, 3, 4]);
    const p = planLayer(b.graph, layer(b, 'conv'), new Map([['conv', rec({ scaleD: 0.02, scaleW: [0.01] })]]));
    expect(p.weight!.offsetShape).toEqual([1, 1, 1, 1]);
    expect(p.deqScale!.length).toBe(1);
    expect(p.activations[0].offsetD).toBe(0); // absent offset_d means 0
  });

  test('depthwise with multiplier 2: scale_w per input channel, deq_scale and bias per output channel', () => {
    const b = new GraphBuilder(73);
    b.biasAdd('ba', b.depthwise('dw', b.input(), [3, 3, 3, 2]), 6);
    const p = planLayer(b.graph, layer(b, 'dw'), new Map([['dw', rec({ scaleD: 0.05, scaleW: scales(3), shiftBit: [1, 2, 3] })]]));
    const perOut = expandDepthwiseScale(Float32Array.from(scales(3)), 2);
    expect(p.weight!.offsetShape).toEqual([1, 1, 3, 1]);
    expect(p.deqScale).toEqual(packDeqScale(0.05, perOut, [1, 1, 2, 2, 3, 3]));
    expect(p.bias!.biasInt32.length).toBe(6);
    expect(p.bias!.biasInt32).toEqual(quantizeBias(toFloat32(attrTensor(b.get('ba/bias'))), 0.05, perOut));
  });

  test('weight layouts: HWOI (deconv) and DHWIO (Conv3D) put offset_w on their channel axis', () => {
    const b = new GraphBuilder(74);
    b.deconv2d('up', b.input('input', [1, 3, 3, 2]), [3, 3, 5, 2], [1, 6, 6, 5], { strides: [1, 2, 2, 1] });
    b.conv3d('c3', b.input('v', [1, 4, 4, 4, 2]), [2, 2, 2, 2, 3], { dataFormat: 'NDHWC' });
    prepareGraph(b.graph);
    const [up, c3] = ['up', 'c3'].map((n) => findLayers(b.graph).find((l) => l.name === n)!);
    const records = new Map([['up', rec({ scaleD: 0.1, scaleW: scales(5) })], ['c3', rec({ scaleD: 0.1, scaleW: scales(3) })]]);
    const pu = planLayer(b.graph, up, records);
    expect([pu.activations[0].inputIndex, pu.weight!.offsetShape]).toEqual([2, [1, 1, 5, 1]]);
    const p3 = planLayer(b.graph, c3, records);
    expect([p3.weight!.offsetShape, p3.dataFormat]).toEqual([[1, 1, 1, 1, 3], 'NDHWC']);
  });

  test('AvgPool: ksize from the window (NCHW too), deq_scale = scale_d', () => {
    const b = new GraphBuilder(75);
    b.node('pool', 'AvgPool', [b.input('input', [1, 4, 6, 6])], { ksize: attr.ints([1, 1, 3, 2]), strides: attr.ints([1, 1, 1, 1]), padding: attr.str('VALID'), data_format: attr.str('NCHW') });
    const p = planLayer(b.graph, layer(b, 'pool'), new Map([['pool', rec({ scaleD: 0.03, offsetD: 5 })]]));
    expect([p.ksize, p.dataFormat]).toEqual([[3, 2], 'NCHW']);
    expect(p.deqScale).toEqual(packDeqScale(0.03, Float32Array.of(1)));
    expect(p.weight).toBeUndefined();
  });

  test('BatchMatMul of two activations: deq_scale = scale_a·scale_b', () => {
    const b = new GraphBuilder(76);
    b.batchMatMul('bmm', b.input('a', [2, 3, 4]), b.input('b', [2, 4, 5]));
    const records = new Map([['bmm:0', rec({ scaleD: 0.5 })], ['bmm:1', rec({ scaleD: 0.25 })]]);
    const p = planLayer(b.graph, layer(b, 'bmm'), records);
    expect(p.activations.map((a) => a.key)).toEqual(['bmm:0', 'bmm:1']);
    expect(p.deqScale).toEqual(packDeqScale(0.5, Float32Array.of(0.25)));
  });

  test('Add: only the recorded inputs are quantized', () => {
    const b = new GraphBuilder(77);
    b.add('add', b.input('a'), b.input('b'));
    const p = planLayer(b.graph, layer(b, 'add'), new Map([['add:1', rec({ scaleD: 0.1, offsetD: 3 })]]));
    expect(p.activations).toEqual([{ key: 'add:1', inputIndex: 1, scaleD: 0.1, offsetD: 3 }]);
    expect(p.deqScale).toBeUndefined();
  });

  test('mismatches are typed errors naming the layer, and the graph is untouched', () => {
    const b = new GraphBuilder(78);
    b.biasAdd('ba', b.conv2d('conv', b.input(), [3, 3, 3, 4]), 4);
    const c = layer(b, 'conv');
    const before = b.graph.nodes().map((n) => `${n.name}:${n.op}:${n.inputs}`);
    const cases: [Partial<LayerRecord>, string, RegExp][] = [
      [{ scaleW: [0.1] }, 'RECORD_MISSING_LAYER', /cannot find scale_d of layer conv/],
      [{ scaleD: 0.1, scaleW: [0.1, 0.1] }, 'RECORD_MODEL_MISMATCH', /2 scale_w values in the record but 4 output channels/],
      [{ scaleD: 0.1 }, 'RECORD_MODEL_MISMATCH', /no scale_w/],
      [{ scaleD: 0.1, scaleW: scales(4), shiftBit: [1, 2] }, 'RECORD_MODEL_MISMATCH', /2 shift_bit values but 4 scale_w/],
      [{ scaleD: 1e-12, scaleW: [1e-12] }, 'BIAS_OVERFLOW', /Quantized bias of layer conv exceeds int32 range; add it to skip layers/],
    ];
    for (const [r, code, message] of cases) {
      let err: unknown;
      try {
        planLayer(b.graph, c, new Map([['conv', rec(r)]]));
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code, layer: 'conv' });
      expect((err as Error).message).toMatch(message);
    }
    expect(b.graph.nodes().map((n) => `${n.name}:${n.op}:${n.inputs}`)).toEqual(before);
  });
});
