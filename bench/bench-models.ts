/**
 * The real models the speed benchmarks use, with photo batches prepared as each model's
 * own code feeds them (face-api's demo photos), and small timing helpers. Benchmarks
 * print ratios measured in one process, timed in alternation so load from other
 * processes falls on both sides alike.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import { saveModel } from '../src/api/save-model';
import { preprocessImage, readImage } from '../src/data';
import type { ImagePreprocess } from '../src/data';
import { graphFromArtifacts, loadGraph, saveGraph } from '../src/io';
import { attrShape } from '../src/ir';
import type { Graph } from '../src/ir';
import type { Feeds } from '../src/runtime';
import { calibrate, writeRecordFile } from '../__tests__/api/save-fixtures';
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

export interface Int8Pair {
  float: Graph;
  /** The deployable graph saveModel writes. */
  int8: Graph;
  outputs: string[];
  /** saveModel's quantized layers. */
  layers: string[];
  /** One photo, not among the calibration ones: what the benchmarks time. */
  feeds: Feeds;
}

/**
 * The float model and saveModel's INT8 graph of it, the record from min/max of the float
 * activations on `calibrationPhotos` photos (MaxPool/Add inputs tensor-quantized too).
 * Files go to `dir`.
 */
export async function int8Pair(m: BenchModel, dir: string, calibrationPhotos: number): Promise<Int8Pair> {
  const float = await m.load();
  const outputs = outputsOf(float);
  const input = inputOf(float);
  const photos = await photoBatches(calibrationPhotos + 1, input.shape, m.preprocess);
  const pb = path.join(dir, 'model.pb');
  await saveGraph(float, pb);
  const records = await calibrate(float, photos.slice(0, -1).map((b) => ({ [input.name]: b })), { tensors: true, backend: 'wasm' });
  const result = await saveModel(pb, outputs, await writeRecordFile(dir, records), path.join(dir, 'deploy'));
  return { float, int8: await loadGraph(result.quantizedPb), outputs, layers: result.layers, feeds: { [input.name]: photos[photos.length - 1] } };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** CPU time of this process in ms (user + system): unlike the wall clock, it does not count the time other processes hold the cores. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface Timing {
  /** Median wall-clock ms. */
  wall: number;
  /** Median process CPU ms (this process is single-threaded: tfjs wasm without threads, cpu). */
  cpu: number;
}

/**
 * A full garbage collection, outside any timing: V8's --expose-gc turned on at run time.
 * Alternating sides otherwise pass garbage to each other: a call that allocates 40 MB
 * leaves a collection for whichever call comes next, and a 15 ms decode then times 30.
 */
export const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

/**
 * Medians of `fns` timed in alternation after `warmup` rounds, wall clock and process CPU
 * time. `clean`: a full collection before each timed call, so each pays for the
 * collections its own allocations start, not for the garbage of the call before.
 */
export async function interleaved(runs: number, fns: (() => Promise<unknown>)[], warmup = 2, clean = false): Promise<Timing[]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const wall: number[][] = fns.map(() => []);
  const cpu: number[][] = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of fns.entries()) {
      if (clean) collectGarbage();
      const [w0, c0] = [performance.now(), cpuMs()];
      await fn();
      cpu[k].push(cpuMs() - c0);
      wall[k].push(performance.now() - w0);
    }
  }
  return fns.map((_, k) => ({ wall: median(wall[k]), cpu: median(cpu[k]) }));
}

/** "a ms / b ms = r×" for wall and CPU time. */
export function ratioLine(a: Timing, b: Timing): string {
  return `wall ${a.wall.toFixed(1)} / ${b.wall.toFixed(1)} ms = ${(a.wall / b.wall).toFixed(2)}x, CPU ${a.cpu.toFixed(1)} / ${b.cpu.toFixed(1)} ms = ${(a.cpu / b.cpu).toFixed(2)}x`;
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
