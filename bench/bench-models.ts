/**
 * The real models the speed benchmarks use, with photo batches prepared as each model's
 * own code feeds them (face-api's demo photos), and small timing helpers. Benchmarks
 * print ratios measured in one process, timed in alternation so load from other
 * processes falls on both sides alike.
 */
import * as fs from 'fs';
import * as path from 'path';
import { preprocessImage, readImage } from '../src/data';
import type { ImagePreprocess } from '../src/data';
import { graphFromArtifacts, loadGraph } from '../src/io';
import { attrShape } from '../src/ir';
import type { Graph } from '../src/ir';
import { humanModel, nsfwjsArtifacts } from '../__tests__/helpers/models';

export interface BenchModel {
  name: string;
  load(): Promise<Graph>;
  preprocess: ImagePreprocess;
}

export const BENCH_MODELS: Record<string, BenchModel> = {
  nsfwjs: {
    name: 'nsfwjs mobilenet_v2_mid',
    load: async () => {
      const { modelJson, weightData } = nsfwjsArtifacts();
      return graphFromArtifacts(modelJson as never, weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer);
    },
    preprocess: { unitRange: true },
  },
  blazeface: { name: 'human blazeface', load: () => loadGraph(humanModel('blazeface').path), preprocess: { mean: [127.5], std: [127.5] } },
};

export function modelsFromArg(arg: string | undefined): BenchModel[] {
  const names = (arg ?? 'nsfwjs,blazeface').split(',');
  return names.map((n) => {
    const m = BENCH_MODELS[n];
    if (!m) throw new Error(`unknown model ${n}; one of ${Object.keys(BENCH_MODELS).join(', ')}`);
    return m;
  });
}

/** The single Placeholder and its NHWC shape with the batch set to `batch` where free. */
export function inputOf(graph: Graph, batch = 1): { name: string; shape: number[] } {
  const [input] = graph.nodes().filter((n) => n.op === 'Placeholder');
  const dims = attrShape(input, 'shape')!.dims;
  return { name: input.name, shape: [dims[0] < 0 ? batch : dims[0], ...dims.slice(1)] };
}

/** Graph outputs: nodes nobody reads. */
export function outputsOf(graph: Graph): string[] {
  return graph.nodes().filter((n) => n.op !== 'Const' && n.op !== 'Placeholder' && graph.dataConsumersOfNode(n.name).length === 0).map((n) => n.name);
}

const SAMPLES = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

export type Batch = { data: Float32Array; shape: number[] };

/** `count` batches of the demo photos (cycled), shaped [n, h, w, c]. */
export async function photoBatches(count: number, shape: number[], p: ImagePreprocess): Promise<Batch[]> {
  const files = fs.readdirSync(SAMPLES).filter((f) => f.endsWith('.jpg')).sort().map((f) => path.join(SAMPLES, f));
  const [n, h, w, c] = shape;
  const images = await Promise.all(files.map(async (f) => preprocessImage(await readImage(f), { ...p, size: [h, w], channels: c as 1 | 3 }).data));
  return Array.from({ length: count }, (_, b) => {
    const data = new Float32Array(n * h * w * c);
    for (let i = 0; i < n; i++) data.set(images[(b * n + i) % images.length], i * h * w * c);
    return { data, shape };
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Medians of `fns` timed in alternation after `warmup` rounds. */
export async function interleaved(runs: number, fns: (() => Promise<unknown>)[], warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const ms: number[][] = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      ms[k].push(performance.now() - t0);
    }
  }
  return ms.map(median);
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
