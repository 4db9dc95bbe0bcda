/**
 * The calibration half of the AMCT flow end to end on real models: loadGraph →
 * createQuantConfig → quantizeModel → Session over batch_num batches of real photos
 * (face-api's samples, resized and normalised as each model's own code feeds it) → the
 * record. Checked: every enabled layer is in the record with plausible values and the
 * record reads back; the calibration graph (weights fake-quantized by QuantArq,
 * activations passed through) stays close to the float graph (cosine per output).
 */
import * as fs from 'fs';
import * as path from 'path';
import { attrBool, attrFloat, attrShape, attrString, createQuantConfig, loadGraph, quantizeModel, Session } from '../../src';
import type { NodeDef } from '../../src';
import { ifmr } from '../../src/calib';
import type { Graph } from '../../src';
import { ImagePreprocess, preprocessImage, readImage } from '../../src/data';
import { findLayers, prepareGraph } from '../../src/passes';
import { readRecord } from '../../src/record';
import { humanModel, nsfwjsModel, TestModel } from '../helpers/models';
import { cosine, tempDir } from './calibration-fixtures';

const SAMPLES = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const BATCH_NUM = 2;

interface ModelCase {
  model: () => TestModel;
  /** How the model's own code (human, nsfwjs) prepares an image for it. */
  preprocess: ImagePreprocess;
  /** Below the cosine measured on wasm (printed after the run), with a margin. */
  minCosine: number;
}

const CASES: Record<string, ModelCase> = {
  // x/127.5 − 1; four outputs (boxes, scores)
  blazeface: { model: () => humanModel('blazeface'), preprocess: { mean: [127.5], std: [127.5] }, minCosine: 0.995 },
  // (gray − 0.5)·2; seven class probabilities
  emotion: { model: () => humanModel('emotion'), preprocess: { channels: 1, unitRange: true, mean: [0.5], std: [0.5] }, minCosine: 0.999 },
  // x/255; eye landmark coordinates, dominated by their mean, hence the cosine near 1
  iris: { model: () => humanModel('iris'), preprocess: { unitRange: true }, minCosine: 0.9999 },
  liveness: { model: () => humanModel('liveness'), preprocess: { unitRange: true }, minCosine: 0.999 },
  // x/255; five class probabilities
  nsfwjs: { model: nsfwjsModel, preprocess: { unitRange: true }, minCosine: 0.99 },
};

const cosines: string[] = [];
let dir: string;
beforeAll(async () => {
  dir = await tempDir('amct-calib-models-');
});
afterAll(async () => {
  await fs.promises.rm(dir, { recursive: true, force: true });
  console.log(`cosine(calibration graph, float graph), min over outputs and batches:\n${cosines.join('\n')}`);
});

/** The single Placeholder's name and NHWC shape, batch = `batch` where the model allows any. */
function inputOf(graph: Graph, batch: number): { name: string; shape: number[] } {
  const [input] = graph.nodes().filter((n) => n.op === 'Placeholder');
  const dims = attrShape(input, 'shape')!.dims;
  return { name: input.name, shape: [dims[0] < 0 ? batch : dims[0], ...dims.slice(1)] };
}

/** BATCH_NUM batches of the sample photos in file order, preprocessed for the model. */
async function photoBatches(shape: number[], p: ImagePreprocess): Promise<{ data: Float32Array; shape: number[] }[]> {
  const files = fs.readdirSync(SAMPLES).filter((f) => f.endsWith('.jpg')).sort();
  const [n, h, w, c] = shape;
  const size = h * w * c;
  return Promise.all(Array.from({ length: BATCH_NUM }, async (_, b) => {
    const data = new Float32Array(n * size);
    for (let i = 0; i < n; i++) {
      const img = await readImage(path.join(SAMPLES, files[(b * n + i) % files.length]));
      data.set(preprocessImage(img, { ...p, size: [h, w], channels: c as 1 | 3 }).data, i * size);
    }
    return { data, shape };
  }));
}

/** Graph outputs: nodes nobody reads (the models' Identity nodes). */
function outputsOf(graph: Graph): string[] {
  return graph.nodes().filter((n) => n.op !== 'Const' && n.op !== 'Placeholder' && graph.dataConsumersOfNode(n.name).length === 0).map((n) => n.name);
}

async function runAll(graph: Graph, outputs: string[], input: string, batches: { data: Float32Array; shape: number[] }[]): Promise<Float32Array[][]> {
  const session = await Session.create(graph, { backend: 'wasm' });
  try {
    const out: Float32Array[][] = [];
    for (const b of batches) out.push((await session.run(outputs, { [input]: b })).map((t) => t.data as Float32Array));
    return out;
  } finally {
    session.dispose();
  }
}

describe.each(Object.keys(CASES))('calibrating %s', (name) => {
  it(`records every enabled layer after ${BATCH_NUM} batches, close to the float graph`, async () => {
    const { model, preprocess, minCosine } = CASES[name];
    const graph = await loadGraph(model().path);
    const outputs = outputsOf(graph);
    const input = inputOf(graph, 2);
    const batches = await photoBatches(input.shape, preprocess);
    const float = await runAll(graph.clone(), outputs, input.name, batches);

    const config = path.join(dir, `${name}.json`);
    const record = path.join(dir, `${name}.txt`);
    const { layers } = await createQuantConfig(config, graph, { batchNum: BATCH_NUM });
    const prepared = graph.clone();
    prepareGraph(prepared);
    const candidates = findLayers(prepared); // before QuantArq hides the weights from discovery
    const result = await quantizeModel(graph, config, record, { calibOutputs: outputs });
    const calibrated = await runAll(graph, result.calibOutputs, input.name, batches);

    const enabled = layers.filter((l) => l.enabled).map((l) => l.name).sort();
    expect(enabled.length).toBeGreaterThan(0);
    const records = await readRecord(record, { layers: candidates });
    expect([...records.keys()].sort()).toEqual(enabled);
    for (const [key, r] of records) {
      expect(Number.isFinite(r.scaleD) && r.scaleD! > 0).toBe(true);
      expect(r.offsetD).toBeGreaterThanOrEqual(-128);
      expect(r.offsetD).toBeLessThanOrEqual(127);
      const c = candidates.find((l) => l.name === key)!;
      if (result.inserted.weight.has(key)) expect([1, c.outputChannels]).toContain(r.scaleW.length);
      else expect(r.scaleW).toEqual([]);
    }

    let worst = 1;
    calibrated.forEach((outs, b) => outs.forEach((o, k) => (worst = Math.min(worst, cosine(float[b][k], o)))));
    cosines.push(`  ${name.padEnd(10)} ${worst.toFixed(6)} (1 − cos = ${(1 - worst).toExponential(2)}; ${records.size} layers, ${outputs.length} output(s), batches of ${input.shape[0]})`);
    expect(worst).toBeGreaterThanOrEqual(minCosine);
  });
});

/**
 * SPEC/issue contract: the streaming accumulators' scale_d stays within 1% of exact IFMR
 * on the test models. The calibration session also fetches every QuantIfmr input, so
 * exact IFMR (src/calib ifmr over all batches, kept in memory here only) sees exactly
 * the activations the kernels saw. Small models only: exact IFMR is quadratic-ish work.
 */
/** A list-of-floats attribute (search_range). */
function attrFloats(node: NodeDef, name: string): number[] {
  const a = node.attr[name];
  if (a?.kind !== 'list' || !a.value.f) throw new Error(`${node.name} has no float list ${name}`);
  return a.value.f;
}

describe.each(['emotion', 'liveness', 'iris'])('streaming IFMR against exact IFMR on %s', (name) => {
  it('every layer\'s scale_d is within 1% and offset_d within 1 of exact IFMR', async () => {
    const { model, preprocess } = CASES[name];
    const graph = await loadGraph(model().path);
    const input = inputOf(graph, 2);
    const batches = await photoBatches(input.shape, preprocess);
    const config = path.join(dir, `${name}-exact.json`);
    const record = path.join(dir, `${name}-exact.txt`);
    await createQuantConfig(config, graph, { batchNum: BATCH_NUM });
    await quantizeModel(graph, config, record);
    const ifmrNodes = graph.nodes().filter((n) => n.op === 'QuantIfmr');
    // The outputs make every calibration node run; the QuantIfmr inputs are what they saw.
    const outputs = outputsOf(graph);
    const fetches = [...outputs, ...ifmrNodes.map((n) => n.inputs[0])];
    const seen: Float32Array[][] = ifmrNodes.map(() => []);
    const session = await Session.create(graph, { backend: 'wasm' });
    try {
      for (const b of batches) {
        const got = (await session.run(fetches, { [input.name]: b })).slice(outputs.length);
        got.forEach((t, i) => seen[i].push(Float32Array.from(t.data as Float32Array)));
      }
    } finally {
      session.dispose();
    }
    const records = await readRecord(record);
    let worst = 0;
    ifmrNodes.forEach((node, i) => {
      const key = attrString(node, 'layer_name');
      const exact = ifmr(seen[i], {
        maxPercentile: attrFloat(node, 'max_percentile'),
        minPercentile: attrFloat(node, 'min_percentile'),
        searchRange: attrFloats(node, 'search_range') as [number, number],
        searchStep: attrFloat(node, 'search_step'),
        asymmetric: attrBool(node, 'asymmetric'),
      });
      const streamed = records.get(key)!;
      const error = Math.abs(streamed.scaleD! / exact.scale - 1);
      worst = Math.max(worst, error);
      expect(error).toBeLessThanOrEqual(0.01);
      expect(Math.abs(streamed.offsetD! - exact.offset)).toBeLessThanOrEqual(1);
    });
    expect(ifmrNodes.length).toBeGreaterThan(0);
    cosines.push(`  ${name.padEnd(10)} streaming vs exact IFMR: worst scale_d error ${(100 * worst).toFixed(4)}% over ${ifmrNodes.length} layers`);
  });
});
