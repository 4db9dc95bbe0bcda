/**
 * The accuracy report's core on one small real model: human's emotion classifier
 * (13 quantized layers, 64×64 grayscale faces), quantized with IFMR on 32 face crops of
 * face-api's photos and compared on 24 faces of other people. 7–25 s on wasm, by load.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AccuracyRow, COSINE_TARGET, evaluateModel } from '../../examples/accuracy/evaluate';
import { rowCosines, top1Agreement } from '../../examples/accuracy/metrics';
import { modelSpec } from '../../examples/accuracy/models';
import { formatRow } from '../../examples/accuracy/run';

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

describe('accuracy metrics', () => {
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
