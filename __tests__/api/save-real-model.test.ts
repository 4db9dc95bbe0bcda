/**
 * A real model end to end: @vladmandic/human's emotion classifier (a TensorFlow.js graph
 * model with _FusedConv2D, separable convs, MaxPool and residual Adds). A record is made
 * from the float model's activation ranges on real photos (IFMR for activations, ARQ
 * per channel for weights), saveModel writes the INT8 .pb, loadGraph reads it back and the
 * Session runs it: outputs must stay close to float on other photos.
 */
import * as path from 'path';
import { saveModel } from '../../src/api/save-model';
import { preprocessImage, readImage } from '../../src/data';
import type { Graph } from '../../src/ir';
import type { KeyedLayerRecord } from '../../src/record';
import type { FetchedTensor } from '../../src/runtime';
import { loadGraph } from '../../src/io';
import { humanModel } from '../helpers/models';
import { argmax, calibrate, cosine, fakeQuantGraph, FeedMap, runSession, tmpDir, writeRecordFile } from './save-fixtures';

const FACE_API_DEMO = path.join(path.dirname(require.resolve('@vladmandic/face-api')), '..', 'demo');
const SIZE = 64;

/**
 * 64×64 grayscale crops of photos (several central fractions, optionally mirrored) as one
 * batch, normalised as Human feeds the model: (gray − 0.5)·2.
 */
async function crops(files: string[], flips: boolean[]): Promise<FeedMap> {
  const images: Float32Array[] = [];
  for (const f of files) {
    const img = await readImage(path.join(FACE_API_DEMO, f));
    for (const centralFraction of [1, 0.7, 0.45, 0.3]) {
      for (const flip of flips) {
        images.push(preprocessImage(img, { centralFraction, size: [SIZE, SIZE], flip, channels: 1, unitRange: true, mean: [0.5], std: [0.5] }).data);
      }
    }
  }
  const data = new Float32Array(images.length * SIZE * SIZE);
  images.forEach((d, i) => data.set(d, i * SIZE * SIZE));
  return { input_1: { data, shape: [images.length, SIZE, SIZE, 1] } };
}

interface Agreement {
  meanCosine: number;
  minCosine: number;
  top1: number;
  /** Cosine of the INT8 output with the fake-quant reference (rounding flips make it not exactly 1 in a deep net). */
  vsFakeQuant: number;
}

function agreement(float: FetchedTensor, q: FetchedTensor, r: FetchedTensor): Agreement {
  const classes = float.shape[1];
  const cos: number[] = [];
  let same = 0;
  for (let i = 0; i < float.shape[0]; i++) {
    const a = (float.data as Float32Array).subarray(i * classes, (i + 1) * classes);
    const b = (q.data as Float32Array).subarray(i * classes, (i + 1) * classes);
    cos.push(cosine(a, b));
    if (argmax(a) === argmax(b)) same++;
  }
  return {
    meanCosine: cos.reduce((s, c) => s + c, 0) / cos.length,
    minCosine: Math.min(...cos),
    top1: same / cos.length,
    vsFakeQuant: cosine(r.data as Float32Array, q.data as Float32Array),
  };
}

describe('human emotion model: record → saveModel → loadGraph → Session', () => {
  const model = humanModel('emotion').path;
  const output = 'Identity';
  let float: Graph;
  let evalSet: FeedMap;
  let floatOut: FetchedTensor;
  let records: KeyedLayerRecord[];

  beforeAll(async () => {
    float = await loadGraph(model);
    const calib = await crops(['sample1.jpg', 'sample2.jpg', 'sample3.jpg'], [false]);
    evalSet = await crops(['sample4.jpg', 'sample5.jpg', 'sample6.jpg'], [false, true]);
    records = await calibrate(float, [calib], { algo: 'ifmr', tensors: true, backend: 'wasm' });
    [floatOut] = await runSession(float, [output], evalSet, 'wasm');
  });

  test.each([
    ['conv layers', false, 13, 13],
    ['conv layers + MaxPool/Add tensor quantization', true, 17, 19],
  ])('%s', async (name, tensors, layers, quantOps) => {
    const used = records.filter((r) => tensors || !r.key.includes(':'));
    const dir = tmpDir();
    const result = await saveModel(model, [output], await writeRecordFile(dir, used), path.join(dir, 'emotion'));
    expect(result.layers.length).toBe(layers);
    const int8 = await loadGraph(result.quantizedPb);
    expect(int8.nodes().filter((n) => n.op === 'AscendQuant').length).toBe(quantOps);
    const reference = fakeQuantGraph(float, used, [output]);
    const [q] = await runSession(int8, [output], evalSet, 'wasm');
    const [r] = await runSession(reference.graph, reference.outputs, evalSet, 'wasm');
    const m = agreement(floatOut, q, r);
    console.log(`emotion (${name}): ${evalSet.input_1.shape[0]} crops, cosine vs float mean ${m.meanCosine.toFixed(5)} min ${m.minCosine.toFixed(5)}, top-1 agreement ${(m.top1 * 100).toFixed(1)}%, cosine vs fake-quant ${m.vsFakeQuant.toFixed(6)}`);
    expect(m.vsFakeQuant).toBeGreaterThanOrEqual(0.999);
    expect(m.meanCosine).toBeGreaterThanOrEqual(0.98);
    expect(m.top1).toBeGreaterThanOrEqual(0.75);
  });
});
