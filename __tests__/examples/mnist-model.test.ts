/**
 * The committed MNIST example model (examples/mnist/model/mnist_cnn.pb): a frozen
 * TensorFlow graph of standard ops that the Session runs at float accuracy on the 2,004
 * held-out digits of the `mnist` package (never trained on). Regenerate the model with
 * `npx ts-node --transpile-only examples/mnist/train.ts`.
 */
import * as path from 'path';
import { statSync } from 'fs';
import { attrBool, attrInts, attrString, attrType, DataType } from '../../src/ir';
import type { Graph } from '../../src/ir';
import { loadGraph } from '../../src/io';
import { Session } from '../../src/runtime';
import { gather, loadDigits } from '../../examples/mnist/data';
import { argmaxRow, evaluateAccuracy } from '../../examples/mnist/evaluate';

const MODEL = path.join(__dirname, '..', '..', 'examples', 'mnist', 'model', 'mnist_cnn.pb');

function nodesOf(graph: Graph, op: string) {
  return graph.nodes().filter((n) => n.op === op);
}

describe('MNIST example model', () => {
  let graph: Graph;
  beforeAll(async () => {
    graph = await loadGraph(MODEL);
  });

  it('is a small frozen graph of standard TensorFlow ops', () => {
    expect(statSync(MODEL).size).toBeLessThan(200 * 1024);
    const ops = new Set(graph.nodes().map((n) => n.op));
    for (const op of ['Placeholder', 'Const', 'Conv2D', 'DepthwiseConv2dNative', 'FusedBatchNormV3', 'Relu6', 'AddV2', 'MaxPool', 'AvgPool', 'MatMul', 'BiasAdd', 'Softmax']) {
      expect(ops).toContain(op);
    }
    expect(nodesOf(graph, 'Conv2D')).toHaveLength(4);
    expect(nodesOf(graph, 'DepthwiseConv2dNative')).toHaveLength(2);
    expect(nodesOf(graph, 'FusedBatchNormV3')).toHaveLength(6);
    expect(nodesOf(graph, 'MatMul')).toHaveLength(2);
    expect(graph.getNode('output').op).toBe('Softmax');
    expect(graph.getNode('input').op).toBe('Placeholder');
  });

  it('carries the attributes TensorFlow writes', () => {
    for (const conv of nodesOf(graph, 'Conv2D')) {
      expect(attrType(conv, 'T')).toBe(DataType.DT_FLOAT);
      expect(attrString(conv, 'data_format')).toBe('NHWC');
      expect(attrInts(conv, 'dilations')).toEqual([1, 1, 1, 1]);
      expect(attrInts(conv, 'explicit_paddings')).toEqual([]);
      expect(attrBool(conv, 'use_cudnn_on_gpu')).toBe(true);
      expect(graph.inputNode(conv, 1).op).toBe('Const');
    }
    for (const bn of nodesOf(graph, 'FusedBatchNormV3')) {
      expect(attrBool(bn, 'is_training')).toBe(false);
      expect(attrType(bn, 'U')).toBe(DataType.DT_FLOAT);
      expect(bn.inputs.slice(1).map((i) => graph.producerOf(i).op)).toEqual(['Const', 'Const', 'Const', 'Const']);
    }
    for (const matmul of nodesOf(graph, 'MatMul')) {
      expect(attrBool(matmul, 'transpose_a')).toBe(false);
      expect(attrBool(matmul, 'transpose_b')).toBe(false);
      expect(graph.inputNode(matmul, 1).op).toBe('Const');
    }
    // the residuals: the block's last BN added to the block's input
    const adds = nodesOf(graph, 'AddV2').map((n) => n.inputs.map((i) => graph.producerOf(i).op));
    expect(adds).toEqual([['FusedBatchNormV3', 'MaxPool'], ['FusedBatchNormV3', 'Relu6']]);
    const avg = nodesOf(graph, 'AvgPool')[0];
    expect(attrInts(avg, 'ksize')).toEqual([1, 3, 3, 1]);
    expect(attrString(avg, 'padding')).toBe('VALID');
  });

  it('classifies the held-out digits at float accuracy', async () => {
    const digits = loadDigits();
    const heldOut = gather(digits, digits.heldOutIndices);
    const session = await Session.create(graph);
    try {
      const result = await evaluateAccuracy(session, 'output', heldOut.images, heldOut.labels, 200);
      // Measured: 0.9810 (1966/2004; 9906/10000 = 0.9906 on all digits), the trained tfjs model's accuracy exactly.
      expect(result.count).toBe(2004);
      expect(result.accuracy).toBeGreaterThanOrEqual(0.97);
      for (let i = 0; i < 5; i++) {
        const row = result.probabilities.subarray(i * 10, i * 10 + 10);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
    } finally {
      session.dispose();
    }
  });

  it('evaluateAccuracy takes a plain predict function too', async () => {
    const images = new Float32Array(3 * 784);
    const labels = Uint8Array.from([2, 7, 2]);
    const predict = (_batch: Float32Array, shape: number[]) => {
      const out = new Float32Array(shape[0] * 10);
      for (let i = 0; i < shape[0]; i++) out[i * 10 + 2] = 1; // always "2"
      return out;
    };
    const r = await evaluateAccuracy(predict, 'output', images, labels, 2);
    expect(r.correct).toBe(2);
    expect(r.accuracy).toBeCloseTo(2 / 3, 10);
    expect(argmaxRow(r.probabilities, 1, 10)).toBe(2);
  });
});
