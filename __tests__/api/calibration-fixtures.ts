/**
 * Shared pieces of the calibration tests: a tiny conv net whose second conv reads a
 * saturated ReLU6 (so IFMR's sanity point 6/255 applies), batches, temp folders.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Graph } from '../../src/ir';
import { GraphBuilder, rng, uniform } from '../helpers/graph-builders';

/**
 * input [-1,6,6,3] → conv1 3×3×3×8 → BiasAdd → Relu6 → conv2 1×1×8×4 → bn (FusedBatchNormV3,
 * nothing reads it: the graph's output, folded away by prepareGraph).
 */
export function tinyNet(seed = 7): Graph {
  return tinyNetBuilder(seed).graph;
}

function tinyNetBuilder(seed: number): GraphBuilder {
  const b = new GraphBuilder(seed);
  const x = b.input('input', [-1, 6, 6, 3]);
  const c1 = b.conv2d('conv1', x, [3, 3, 3, 8]);
  const relu = b.unary('relu1', 'Relu6', b.biasAdd('conv1/BiasAdd', c1, 8));
  b.batchNorm('bn', b.conv2d('conv2', relu, [1, 1, 8, 4]), 4);
  return b;
}

/** tinyNet plus conv3, whose filter is a Placeholder (not quantizable), and a MaxPool "pool" (tensor quantization only). */
export function mixedNet(seed = 7): Graph {
  const b = tinyNetBuilder(seed);
  b.conv2d('conv3', 'input', b.input('wph', [1, 1, 3, 2]));
  b.pool('pool', 'MaxPool', 'relu1');
  return b.graph;
}

/** A batch of `n` images with values in [-10, 10): conv1's outputs overshoot ±6, so Relu6 saturates. */
export function batch(seed: number, n = 2): { data: Float32Array; shape: number[] } {
  return { data: uniform(rng(seed), n * 6 * 6 * 3, -10, 10), shape: [n, 6, 6, 3] };
}

export async function tempDir(prefix = 'amct-calib-'): Promise<string> {
  return fs.promises.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** The text and mtime of a file, to prove it was not rewritten. */
export function snapshot(file: string): { text: string; mtimeMs: number; ino: number } {
  const st = fs.statSync(file);
  return { text: fs.readFileSync(file, 'utf8'), mtimeMs: st.mtimeMs, ino: st.ino };
}

/** Cosine similarity of two equally long vectors, in float64. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa === 0 && bb === 0 ? 1 : ab / Math.sqrt(aa * bb);
}
