/**
 * graphToArtifacts / graphFromArtifacts: every Const dtype travels through tfjs's
 * weight dtypes and comes back as the dtype its node declares; tfjs-converter loads
 * and runs the artifacts like the original model.
 */
import * as fs from 'fs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModelSync } from '@tensorflow/tfjs-converter';
import { decodeGraphDef, graphFromArtifacts, graphToArtifacts, loadGraph } from '../../src/io';
import { attr, DataType, Graph, makeTensor } from '../../src/ir';
import type { TensorData, TensorValue } from '../../src/ir';
import { humanModel } from '../helpers/models';
import { pbEncode } from './pb';

const D = DataType;
beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
});

function constGraph(values: Record<string, TensorValue>): Graph {
  const g = new Graph();
  for (const [name, v] of Object.entries(values)) g.addNode({ name, op: 'Const', attr: { dtype: attr.type(v.dtype), value: attr.tensor(v) } });
  return g;
}

const CASES: [DataType, TensorData][] = [
  [D.DT_FLOAT, new Float32Array([1.5, -2])],
  [D.DT_DOUBLE, new Float64Array([0.5, -3])],
  [D.DT_INT32, new Int32Array([-2147483648, 2147483647])],
  [D.DT_INT8, new Int8Array([-128, 127])],
  [D.DT_UINT8, new Uint8Array([0, 255])],
  [D.DT_INT16, new Int16Array([-32768, 32767])],
  [D.DT_UINT16, new Uint16Array([0, 65535])],
  [D.DT_QINT8, new Int8Array([-1, 1])],
  [D.DT_HALF, new Uint16Array([0x3c00, 0x7bff])],
  [D.DT_BFLOAT16, new Uint16Array([0x3f80, 0xc000])],
  [D.DT_UINT32, new Uint32Array([4294967295, 1])],
  [D.DT_INT64, new BigInt64Array([-2147483648n, 2147483647n])],
  [D.DT_UINT64, new BigUint64Array([0n, 2147483647n])],
  [D.DT_BOOL, new Uint8Array([1, 0])],
  [D.DT_COMPLEX64, new Float32Array([1, 2, 3, 4])],
];

describe('Const dtypes through tfjs weights', () => {
  test.each(CASES)('dtype %i comes back exactly', (dtype, data) => {
    const complex = dtype === D.DT_COMPLEX64;
    const g = constGraph({ c: makeTensor(dtype, [complex ? 2 : data.length], data) });
    const art = graphToArtifacts(g);
    const back = graphFromArtifacts(art, art.weightData).getNode('c').attr.value;
    expect(back.kind === 'tensor' && back.value.dtype).toBe(dtype);
    expect(back.kind === 'tensor' && back.value.data).toEqual(data);
  });

  test('strings', () => {
    const strings = [new Uint8Array([104, 105]), new Uint8Array(0), new Uint8Array([0xff])];
    const g = constGraph({ s: { dtype: D.DT_STRING, shape: { dims: [3] }, data: new Uint8Array(0), strings } });
    const art = graphToArtifacts(g);
    expect(art.weightSpecs[0].dtype).toBe('string');
    const back = graphFromArtifacts(art, art.weightData).getNode('s').attr.value;
    expect(back.kind === 'tensor' && back.value.strings).toEqual(strings);
  });

  test('half is stored float16-quantized (tfjs reads float32) and keeps its bits', () => {
    const art = graphToArtifacts(constGraph({ h: makeTensor(D.DT_HALF, [1], new Uint16Array([0x3555])) }));
    expect(art.weightSpecs[0]).toEqual({ name: 'h', shape: [1], dtype: 'float32', quantization: { dtype: 'float16' } });
  });

  test('int64/uint64 beyond int32 are refused with the node named, unless mapConst translates them', () => {
    const g = constGraph({ deq: makeTensor(D.DT_UINT64, [1], new BigUint64Array([2n ** 40n])) });
    expect(() => graphToArtifacts(g)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_DTYPE', node: 'deq' }));
    const mapConst = (_n: unknown, v: TensorValue) => (v.dtype === D.DT_UINT64 ? makeTensor(D.DT_FLOAT, [1], new Float32Array([0.5])) : undefined);
    const art = graphToArtifacts(g, { mapConst });
    expect(art.weightSpecs).toEqual([{ name: 'deq', shape: [1], dtype: 'float32' }]);
    const node = (art.modelTopology.node as { attr: Record<string, unknown> }[])[0];
    expect(node.attr.dtype).toEqual({ type: 'DT_FLOAT' });
  });

  test('the graph itself is not changed by graphToArtifacts', () => {
    const g = constGraph({ c: makeTensor(D.DT_INT8, [1], new Int8Array([3])) });
    graphToArtifacts(g, { mapConst: () => makeTensor(D.DT_INT32, [1], new Int32Array([3])) });
    const v = g.getNode('c').attr.value;
    expect(v.kind === 'tensor' && v.value.dtype).toBe(D.DT_INT8);
  });
});

test('tfjs-converter runs the artifacts of a real model like the original', async () => {
  const { path } = humanModel('emotion');
  const json = JSON.parse(fs.readFileSync(path, 'utf8'));
  const bin = fs.readFileSync(path.replace(/\.json$/, '.bin'));
  const original = loadGraphModelSync([json, new Uint8Array(bin).buffer]);
  const ours = loadGraphModelSync(graphToArtifacts(await loadGraph(path)) as unknown as tf.io.ModelArtifacts);
  const x = tf.randomUniform([1, 64, 64, 1]);
  const a = original.execute(x) as tf.Tensor;
  const b = ours.execute(x) as tf.Tensor;
  expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
});

test('fields kept opaque (debug info, unknown fields) stay out of model.json', () => {
  const debugInfo = pbEncode('NodeDef.ExperimentalDebugInfo', { originalNodeNames: ['dense/MatMul'] });
  const g = decodeGraphDef(pbEncode('GraphDef', { node: [{ name: 'a', op: 'NoOp', experimentalDebugInfo: debugInfo }] }));
  expect(g.getNode('a').opaque).toBeDefined();
  expect(graphToArtifacts(g).modelTopology.node).toEqual([{ name: 'a', op: 'NoOp' }]);
});

test('float attrs are written as the shortest decimal of their float32', () => {
  const g = new Graph();
  g.addNode({ name: 'x', op: 'Placeholder', attr: { dtype: attr.type(D.DT_FLOAT) } });
  g.addNode({ name: 'r', op: 'LeakyRelu', inputs: ['x'], attr: { alpha: attr.float(Math.fround(0.001)), l: attr.floats([Math.fround(0.1), 2]) } });
  const art = graphToArtifacts(g);
  const node = (art.modelTopology.node as { attr: Record<string, unknown> }[])[1];
  expect(node.attr).toEqual({ alpha: { f: 0.001 }, l: { list: { f: [0.1, 2] } } });
  const back = graphFromArtifacts(art, art.weightData).getNode('r').attr.alpha;
  expect(back).toEqual({ kind: 'f', value: Math.fround(0.001) });
});
