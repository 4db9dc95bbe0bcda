/**
 * The accuracy report's core on small real models: human's emotion classifier (13
 * quantized layers, 64×64 grayscale faces) with the per-layer diagnosis, and two of
 * human's float16-stored models with their task metrics: facemesh (468 landmarks, error in
 * input pixels) and antispoof (one sigmoid score). Each is quantized with IFMR on 32 face
 * crops of face-api's photos and compared on 24 faces of other people. The whole table
 * (every model of human's models/ folder) is examples/accuracy/run.ts's job, not a test's.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AccuracyRow, COSINE_TARGET, evaluateModel } from '../../examples/accuracy/evaluate';
import { matchDetections, nonMaxSuppression } from '../../examples/accuracy/detections';
import { rowCosines, top1Agreement } from '../../examples/accuracy/metrics';
import { modelSpec } from '../../examples/accuracy/models';
import { formatRow } from '../../examples/accuracy/run';
import { landmarks, probabilities } from '../../examples/accuracy/tasks';

describe('accuracy report: emotion', () => {
  let outDir: string;
  let row: AccuracyRow;

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-ts-accuracy-'));
    row = await evaluateModel(modelSpec('emotion'), { outDir, backend: 'wasm', diagnose: true, worst: 13 });
  });

  afterAll(() => {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('quantizes the model and compares its one output on 24 held-out faces', () => {
    expect(row.quantizedLayers).toBe(13);
    expect(row.heldOut).toBe(24);
    expect(row.outputs.map((o) => o.output)).toEqual(['Identity']);
  });

  it('keeps the classifier within the cosine target', () => {
    // Measured on wasm: cosine mean 0.9983, min 0.9753; top-1 agreement 24/24.
    const [o] = row.outputs;
    expect(o.meanCosine).toBeGreaterThanOrEqual(0.995);
    expect(o.meanCosine).toBeGreaterThanOrEqual(COSINE_TARGET);
    expect(o.minCosine).toBeGreaterThanOrEqual(0.95);
    expect(o.top1).toBeGreaterThanOrEqual(23 / 24);
  });

  it('diagnoses every quantized layer, float vs INT8', () => {
    // Measured: every layer's output cosine is ≥ 0.997 and no layer drops more than 0.001.
    const layers = row.worstLayers!;
    expect(layers).toHaveLength(13);
    for (const l of layers) {
      expect(l.outputCosine).toBeGreaterThan(0.995);
      expect(l.drop).toBeLessThan(0.002);
    }
    expect(layers.map((l) => l.drop)).toEqual([...layers.map((l) => l.drop)].sort((a, b) => b - a));
    expect(formatRow(row).join('\n')).toMatch(/layers losing the most/);
  });
});

describe('accuracy report: float16-stored human models, task metrics', () => {
  let outDir: string;
  const rows: Record<string, AccuracyRow> = {};

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-ts-accuracy-f16-'));
    for (const name of ['facemesh', 'antispoof']) {
      rows[name] = await evaluateModel(modelSpec(name), { outDir: path.join(outDir, name), backend: 'wasm', diagnose: false });
    }
  });

  afterAll(() => {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('facemesh: landmarks within a pixel of float, face flag unchanged', () => {
    // Measured on wasm: 55 layers; mesh 0.52 px mean (worst input 1.33 px) on the 192-px
    // input; contours 0.57 px; face flag |Δp| 0.0073; raw output cosine ≥ 0.9999.
    const r = rows.facemesh;
    expect(r.quantizedLayers).toBe(55);
    expect(r.task.map((t) => t.unit)).toEqual(['px', '|Δp|', 'px']);
    const [mesh, flag, contours] = r.task;
    expect(mesh.value).toBeGreaterThan(0.05); // INT8 does move the points: the metric sees it
    expect(mesh.value).toBeLessThan(0.8);
    expect(contours.value).toBeLessThan(0.9);
    expect(flag.value).toBeLessThan(0.02);
    for (const o of r.outputs) expect(o.meanCosine).toBeGreaterThan(0.999);
  });

  it('antispoof: the real-face score moves by less than 0.005', () => {
    // Measured on wasm: 5 layers; |Δp| mean 0.0012, max 0.004; every face on the same side of 0.5.
    const r = rows.antispoof;
    expect(r.quantizedLayers).toBe(5);
    expect(r.task[0].value).toBeLessThan(0.005);
    expect(r.task[0].detail).toMatch(/same side of 0\.5 24\/24/);
  });
});

describe('accuracy metrics', () => {
  it('measures landmark error in input pixels, only where asked', () => {
    // two inputs, two x,y,score points each; the second point of input 1 is not kept
    const f = [0, 0, 1, 10, 10, 1, 5, 5, 1, 0, 0, 0.1];
    const q = [3, 4, 1, 10, 10, 1, 5, 5, 1, 30, 40, 0.1];
    const all = landmarks('pts', f, q, 2, { stride: 3, x: 0, y: 1, scale: 1 });
    expect(all.value).toBeCloseTo((5 + 0 + 0 + 50) / 4, 12);
    const kept = landmarks('pts', f, q, 2, { stride: 3, x: 0, y: 1, scale: 2, keep: (r, p) => f[(r * 2 + p) * 3 + 2] >= 0.5 });
    expect(kept.value).toBeCloseTo((2 * 5) / 3, 12);
  });

  it('scores a single probability by |Δp| and its side of 0.5, a vector by cosine', () => {
    const one = probabilities('score', [0.2, 0.7], [0.3, 0.4], 2);
    expect(one.unit).toBe('|Δp|');
    expect(one.value).toBeCloseTo(0.2, 12);
    expect(one.detail).toMatch(/same side of 0\.5 1\/2/);
    const vec = probabilities('classes', [1, 0, 0, 1], [1, 0, 1, 0], 2);
    expect(vec.unit).toBe('cosine');
    expect(vec.value).toBeCloseTo(0.5, 12);
  });

  it('keeps the best of overlapping boxes and matches detections by IoU and class', () => {
    const box = (x: number, score: number, cls = 0) => ({ x1: x, y1: 0, x2: x + 10, y2: 10, score, cls });
    expect(nonMaxSuppression([box(0, 0.9), box(1, 0.95), box(50, 0.6), box(80, 0.1)], 10, 0.5, 0.2)).toEqual([box(1, 0.95), box(50, 0.6)]);
    const m = matchDetections([[box(0, 0.9), box(50, 0.8)], [box(0, 0.7)]], [[box(2, 0.8), box(50, 0.8, 1)], []]);
    // box 0 matches (IoU 8/12), box 50 has the wrong class, input 2 has no INT8 detection
    expect(m).toEqual({ floatCount: 3, int8Count: 2, matched: 1, meanIou: 8 / 12, meanScoreDelta: expect.closeTo(0.1, 12) });
  });

  it('takes the cosine per sample and the arg-max per row', () => {
    const a = [1, 0, 0, 3, 1, 0];
    const b = [2, 0, 0, 1, 3, 0];
    const [c0, c1] = rowCosines(a, b, 2);
    expect(c0).toBeCloseTo(1, 12);
    expect(c1).toBeCloseTo(6 / Math.sqrt(10 * 10), 12);
    expect(top1Agreement(a, b, 2)).toBe(0.5);
    expect(rowCosines([0, 0], [0, 0], 1)).toEqual([1]);
    expect(rowCosines([0, 0], [1, 0], 1)).toEqual([0]);
  });
});
