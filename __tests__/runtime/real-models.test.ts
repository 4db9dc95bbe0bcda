/**
 * Real models: Session outputs equal tfjs's own GraphModel on the same input (wasm), and
 * a model.json → .pb → loadGraph round trip runs to the same outputs.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm'; // the reference GraphModel runs on wasm too
import { loadGraphModelSync } from '@tensorflow/tfjs-converter';
import { loadGraph, saveGraph } from '../../src/io';
import { attrShape, attrType, DataType } from '../../src/ir';
import { tfjsDtypeOf } from '../../src/runtime/feeds';
import type { Graph } from '../../src/ir';
import { Session } from '../../src/runtime';
import { allFloatModels, FLOAT16_MODELS, TestModel, UINT8_MODEL } from '../helpers/models';

/** Every real model of the helpers: float32-, float16- and uint8-stored, one with control flow (handtrack). */
const MODELS: TestModel[] = [...allFloatModels(), ...FLOAT16_MODELS, UINT8_MODEL];

/**
 * Same seeded input for both runtimes, of the signature's shape when model.json has one
 * (handtrack: 320x320), else the placeholder's with batch 1 and unknown sides 128.
 * Float inputs in [0, 1); int inputs (handtrack takes int32 pixels) in [0, 255].
 */
function inputFor(shape: number[], dtype: DataType, seed: number): tf.Tensor {
  const isInt = tfjsDtypeOf(dtype) === 'int32';
  const dims = shape.map((d, i) => (d >= 0 ? d : i === 0 ? 1 : 128));
  let a = seed >>> 0;
  const values = Float32Array.from({ length: dims.reduce((x, y) => x * y, 1) }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 2 ** 32;
  });
  if (isInt) return tf.tensor(Int32Array.from(values, (v) => Math.floor(v * 256)), dims, 'int32');
  return tf.tensor(values, dims);
}

/** max |ref − got| over the range of ref (1 when ref is constant). */
function maxRelDiff(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  let lo = Infinity;
  let hi = -Infinity;
  let diff = 0;
  for (let i = 0; i < ref.length; i++) {
    lo = Math.min(lo, ref[i]);
    hi = Math.max(hi, ref[i]);
    diff = Math.max(diff, Math.abs(ref[i] - got[i]));
  }
  return diff / (hi - lo > 0 ? hi - lo : 1);
}

/** model.json and its shards, as tfjs's own loader reads them. */
function readArtifacts(file: string): { modelJson: any; weightData: ArrayBuffer } {
  const modelJson = JSON.parse(fs.readFileSync(file, 'utf8'));
  const paths = (modelJson.weightsManifest as { paths: string[] }[]).flatMap((g) => g.paths);
  const all = Buffer.concat(paths.map((p) => fs.readFileSync(path.join(path.dirname(file), p))));
  return { modelJson, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) };
}

interface Outputs {
  names: string[];
  values: ArrayLike<number>[];
  shapes: number[][];
}

async function reference(m: TestModel, feeds: Record<string, tf.Tensor>): Promise<Outputs> {
  await tf.setBackend('wasm');
  const { modelJson, weightData } = readArtifacts(m.path);
  const model = loadGraphModelSync([modelJson, weightData]);
  let result: tf.Tensor | tf.Tensor[];
  try {
    result = model.execute(feeds, model.outputNodes);
  } catch {
    result = await model.executeAsync(feeds, model.outputNodes); // control flow (handtrack)
  }
  // Signature keys (liveness: "activation_6") name tensors; the Session fetches tensor names.
  const signature = modelJson.signature?.outputs as Record<string, { name: string }> | undefined;
  const names = model.outputNodes.map((o) => signature?.[o]?.name ?? o);
  const list = Array.isArray(result) ? result : [result];
  const values = await Promise.all(list.map((t) => t.data() as Promise<Float32Array>));
  const shapes = list.map((t) => t.shape);
  tf.dispose(list);
  model.dispose();
  return { names, values, shapes };
}

async function sessionOutputs(graph: Graph, names: string[], feeds: Record<string, tf.Tensor>): Promise<Outputs> {
  const session = await Session.create(graph, { backend: 'wasm' });
  try {
    const base = tf.memory().numTensors;
    const got = await session.run(names, feeds);
    expect(tf.memory().numTensors).toBe(base);
    return { names, values: got.map((g) => g.data as Float32Array), shapes: got.map((g) => g.shape) };
  } finally {
    session.dispose();
  }
}

function expectSame(ref: Outputs, got: Outputs): void {
  expect(got.shapes).toEqual(ref.shapes);
  ref.values.forEach((r, i) => expect(maxRelDiff(r, got.values[i])).toBeLessThanOrEqual(1e-5));
}

describe.each(MODELS.map((m) => [m.name, m] as const))('%s', (_name, m) => {
  let feeds: Record<string, tf.Tensor> | undefined;
  let ref: Outputs;
  let graph: Graph;
  let tmp: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-runtime-'));
    await tf.setBackend('wasm');
    graph = await loadGraph(m.path);
    const placeholders = graph.nodes().filter((n) => n.op === 'Placeholder');
    const signature = JSON.parse(fs.readFileSync(m.path, 'utf8')).signature?.inputs ?? {};
    const shapeOf = (name: string) => {
      const dims = signature[`${name}:0`]?.tensorShape?.dim as { size: string }[] | undefined;
      return dims ? dims.map((d) => Number(d.size)) : attrShape(graph.getNode(name), 'shape')!.dims;
    };
    feeds = Object.fromEntries(placeholders.map((p, i) => [p.name, inputFor(shapeOf(p.name), attrType(p, 'dtype'), 17 + i)]));
    ref = await reference(m, feeds);
  });
  afterAll(() => {
    tf.dispose(Object.values(feeds ?? {}));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('loadGraph + Session equals tfjs GraphModel on wasm (≤ 1e-5 of the output range)', async () => {
    expectSame(ref, await sessionOutputs(graph, ref.names, feeds!));
  });

  test('model.json → .pb → loadGraph → Session gives the same outputs', async () => {
    const pb = path.join(tmp, `${m.name}.pb`);
    await saveGraph(graph, pb);
    expectSame(ref, await sessionOutputs(await loadGraph(pb), ref.names, feeds!));
  });
});
