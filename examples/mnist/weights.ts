/**
 * Moving trained weights between the tfjs model, the graph exporter and a cache file, so
 * that re-exporting the graph does not mean retraining (train.ts --reuse-weights).
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type * as tfType from './tf';
import type { Weights } from './export';

/** Weight names of each layer kind, in the order tfjs's getWeights() returns them. */
const LAYER_WEIGHTS: Record<string, string[]> = {
  Conv2D: ['kernel'],
  DepthwiseConv2D: ['kernel'],
  BatchNormalization: ['gamma', 'beta', 'moving_mean', 'moving_variance'],
  Dense: ['kernel', 'bias'],
};

export function extractWeights(model: tfType.LayersModel): Weights {
  const weights: Weights = {};
  for (const layer of model.layers) {
    const names = LAYER_WEIGHTS[layer.getClassName()];
    if (!names) continue;
    const tensors = layer.getWeights();
    if (tensors.length !== names.length) throw new Error(`layer ${layer.name}: ${tensors.length} weights, expected ${names.length}`);
    tensors.forEach((t, i) => {
      weights[`${layer.name}/${names[i]}`] = { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) };
    });
  }
  return weights;
}

/** Puts cached weights back into a freshly built model of the same architecture. */
export function assignWeights(tf: typeof tfType, model: tfType.LayersModel, weights: Weights): void {
  for (const layer of model.layers) {
    const names = LAYER_WEIGHTS[layer.getClassName()];
    if (!names) continue;
    layer.setWeights(names.map((n) => {
      const w = weights[`${layer.name}/${n}`];
      if (!w) throw new Error(`cached weights lack ${layer.name}/${n}`);
      return tf.tensor(w.data, w.shape);
    }));
  }
}

interface CachedWeight {
  shape: number[];
  /** float32 little-endian bytes, base64 */
  data: string;
}

export async function saveWeights(file: string, weights: Weights): Promise<void> {
  const json: Record<string, CachedWeight> = {};
  for (const [k, w] of Object.entries(weights)) json[k] = { shape: w.shape, data: Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('base64') };
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(json));
  await fs.rename(tmp, file);
}

export async function loadWeights(file: string): Promise<Weights> {
  const json = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, CachedWeight>;
  const weights: Weights = {};
  for (const [k, w] of Object.entries(json)) {
    const bytes = Buffer.from(w.data, 'base64');
    const data = new Float32Array(bytes.length / 4);
    new Uint8Array(data.buffer).set(bytes);
    weights[k] = { shape: w.shape, data };
  }
  return weights;
}

export function paramCount(weights: Weights): { total: number; trainable: number } {
  let total = 0;
  let frozen = 0;
  for (const [k, w] of Object.entries(weights)) {
    const n = w.data.length;
    total += n;
    if (k.endsWith('/moving_mean') || k.endsWith('/moving_variance')) frozen += n;
  }
  return { total, trainable: total - frozen };
}
