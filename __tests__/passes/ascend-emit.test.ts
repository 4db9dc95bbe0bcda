/**
 * emitAscend: the rewrite of SPEC §6 on the IR, without files: edges, dropped float
 * weights (only when nothing else reads them), renames for fetched nodes, the op attrs
 * that depend on the layer's format, and independence from the order of the plans.
 */
import { attr, attrString, Graph } from '../../src/ir';
import { emitAscend, findLayers, LayerPlan, planLayer, prepareGraph } from '../../src/passes';
import type { LayerRecord } from '../../src/record';
import { GraphBuilder } from '../helpers/graph-builders';

const rec = (r: Partial<LayerRecord>): LayerRecord => ({ scaleW: [], offsetW: [], shiftBit: [], ...r });

function plansFor(g: Graph, records: Map<string, LayerRecord>): LayerPlan[] {
  prepareGraph(g);
  return findLayers(g).filter((c) => records.has(c.name)).map((c) => planLayer(g, c, records));
}

/** "consumer <- producer" edges of data inputs, sorted: the shape of the graph. */
function edges(g: Graph): string[] {
  return g.nodes().flatMap((n) => n.inputs.map((i) => `${n.name} <- ${i}`)).sort();
}

describe('emitAscend', () => {
  test('a chain conv → BiasAdd → Relu → conv: each node in place, float weights dropped', () => {
    const b = new GraphBuilder(81);
    b.conv2d('c2', b.unary('r', 'Relu', b.biasAdd('ba', b.conv2d('c1', b.input(), [3, 3, 3, 4]), 4)), [1, 1, 4, 2]);
    const records = new Map([['c1', rec({ scaleD: 0.1, scaleW: [0.01] })], ['c2', rec({ scaleD: 0.2, offsetD: -128, scaleW: [0.02] })]]);
    const report = emitAscend(b.graph, plansFor(b.graph, records), ['c2']);
    b.graph.validate();
    const g = b.graph;
    expect(g.producerOf(g.getNode('c1').inputs[0]).op).toBe('AscendQuant');
    expect(g.getNode('ba').inputs[1]).toBe('c1/bias_quant/Cast');
    expect(g.getNode('r').inputs[0]).toBe('c1/dequant/AscendDequant');
    expect(g.getNode('c2/quant/AscendQuant').inputs[0]).toBe('r');
    expect(g.getNode('c2').op).toBe('AscendDequant'); // fetched: the dequant takes the name
    expect(g.getNode('c2').inputs).toEqual(['c2/before_dequant', 'c2/dequant/deq_scale']);
    expect(report.renamed).toEqual(new Map([['c2', 'c2/before_dequant']]));
    expect(report.dequantOf.get('c2')).toBe('c2/before_dequant');
    expect(report.dropped.sort()).toEqual(['ba/bias', 'c1/weights', 'c2/weights']);
    for (const names of report.added.values()) for (const n of names) expect(report.roles.has(n)).toBe(true);
    expect(g.nodes().filter((n) => n.op === 'Const').map((n) => n.name).sort()).toEqual([
      'c1/bias_quant/int32', 'c1/dequant/deq_scale', 'c1/weight_quant/int8', 'c1/weight_quant/offset_w',
      'c2/dequant/deq_scale', 'c2/weight_quant/int8', 'c2/weight_quant/offset_w',
    ]);
  });

  test('a weight shared with an unquantized layer stays; Identity + Const go when unread', () => {
    const b = new GraphBuilder(82);
    const x = b.input();
    const w = b.const('shared', [3, 3, 3, 4]);
    b.conv2d('a', x, w);
    b.conv2d('b', x, w);
    b.node('w_read', 'Identity', [b.const('own', [3, 3, 3, 4])]);
    b.conv2d('c', x, 'w_read');
    const report = emitAscend(b.graph, plansFor(b.graph, new Map([['a', rec({ scaleD: 0.1, scaleW: [0.01] })], ['c', rec({ scaleD: 0.1, scaleW: [0.01] })]])), []);
    expect(b.graph.has('shared')).toBe(true);
    expect(b.graph.getNode('b').inputs[1]).toBe('shared');
    expect(report.dropped.sort()).toEqual(['own', 'w_read']);
  });

  test('AscendDequant data_format: NCHW stays NCHW, NDHWC (Conv3D) becomes NHWC', () => {
    const b = new GraphBuilder(83);
    b.conv2d('nchw', b.input('x', [1, 3, 6, 6]), [3, 3, 3, 4], { dataFormat: 'NCHW' });
    b.conv3d('c3', b.input('v', [1, 4, 4, 4, 2]), [2, 2, 2, 2, 3]);
    const records = new Map([['nchw', rec({ scaleD: 0.1, scaleW: [0.01] })], ['c3', rec({ scaleD: 0.1, scaleW: [0.01] })]]);
    emitAscend(b.graph, plansFor(b.graph, records), []);
    expect(attrString(b.graph.getNode('nchw/dequant/AscendDequant'), 'data_format')).toBe('NCHW');
    expect(attrString(b.graph.getNode('c3/dequant/AscendDequant'), 'data_format')).toBe('NHWC');
  });

  test('tensor quantization of both Add inputs, and of a MaxPool reading the same tensor', () => {
    const b = new GraphBuilder(84);
    const x = b.input();
    b.add('add', x, x);
    b.node('mp', 'MaxPool', [x], { ksize: attr.ints([1, 2, 2, 1]), strides: attr.ints([1, 2, 2, 1]), padding: attr.str('VALID'), data_format: attr.str('NHWC') });
    const records = new Map([['add:0', rec({ scaleD: 0.1 })], ['add:1', rec({ scaleD: 0.1 })], ['mp:0', rec({ scaleD: 0.2 })]]);
    prepareGraph(b.graph);
    const plans = findLayers(b.graph).map((c) => planLayer(b.graph, c, records));
    emitAscend(b.graph, plans, []);
    expect(b.graph.getNode('add').inputs).toEqual(['add/anti_quant_0/AscendAntiQuant', 'add/anti_quant_1/AscendAntiQuant']);
    expect(b.graph.getNode('mp').inputs).toEqual(['mp/anti_quant_0/AscendAntiQuant']);
    expect(b.graph.getNode('mp/quant/AscendQuant').inputs).toEqual(['input']);
  });

  test('the order of the plans does not change the graph', () => {
    const build = () => {
      const b = new GraphBuilder(85);
      b.unary('out', 'Relu', b.biasAdd('ba2', b.conv2d('c2', b.unary('r', 'Relu', b.biasAdd('ba', b.conv2d('c1', b.input(), [3, 3, 3, 4]), 4)), [1, 1, 4, 2]), 2));
      return b.graph;
    };
    const records = new Map([['c1', rec({ scaleD: 0.1, scaleW: [0.01] })], ['c2', rec({ scaleD: 0.2, scaleW: [0.02] })]]);
    const g1 = build();
    emitAscend(g1, plansFor(g1, records), ['out']);
    const g2 = build();
    emitAscend(g2, plansFor(g2, records).reverse(), ['out']);
    expect(edges(g2)).toEqual(edges(g1));
  });
});
