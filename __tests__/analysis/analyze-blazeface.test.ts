/**
 * analyzeAccuracy on a real model: human's BlazeFace, quantized with the AMCT defaults
 * (IFMR) on the 32 scene crops of examples/accuracy, analyzed on 4 held-out scenes.
 * Measured (wasm): the 8×8 score head conv2d_34 is the worst layer by isolated error
 * (cosine 0.968, 11 dB; the next, re_lu_31, 0.992); the two score heads have the lowest
 * cumulative cosines of all 69 layers (0.967, 0.970), as their outputs do, and lose the
 * most between their input and their output. The 16×16 head conv2d_33 loses little by
 * itself (36 dB isolated) but amplifies the error it receives.
 * ~25 s on wasm, mostly the calibration.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeAccuracy } from '../../src/analysis';
import type { AccuracyReport } from '../../src/analysis';
import type { Feeds } from '../../src/runtime';
import { modelSpec } from '../../examples/accuracy/models';
import { batchOf, chunks, quantize } from '../../examples/accuracy/quantize';

const HEADS = { scores16: 'conv2d_33/BiasAdd', scores8: 'conv2d_34/BiasAdd' };
const short = (layer: string) => layer.replace('StatefulPartitionedCall/functional_1/', '');

describe('analyzeAccuracy: BlazeFace', () => {
  let dir: string;
  let report: AccuracyReport;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-analyze-blazeface-'));
    const spec = modelSpec('blazeface');
    const files = await quantize(spec, dir, 'wasm');
    const batches: Feeds[] = [];
    for (const crops of chunks(spec.heldOut().slice(0, 4), spec.maxBatch)) batches.push({ [spec.input]: await batchOf(spec, crops) });
    report = await analyzeAccuracy(files.model, spec.outputs, files.record, batches, { backend: 'wasm', reportFile: path.join(dir, 'report.html') });
  }, 400_000);

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('names the 8×8 score head the worst layer by isolated error', () => {
    expect(report.layers).toHaveLength(69);
    expect(short(report.worst[0].layer)).toBe(HEADS.scores8);
    expect(report.worst[0].isolated.cosine).toBeLessThan(0.98);
    expect(report.worst[0].isolated.sqnrDb).toBeLessThan(15);
  });

  test('the two score heads have the lowest cumulative cosines, as their outputs do', () => {
    const byCumulative = [...report.layers].sort((a, b) => a.cumulative.cosine - b.cumulative.cosine);
    expect(byCumulative.slice(0, 2).map((l) => short(l.layer)).sort()).toEqual([HEADS.scores16, HEADS.scores8]);
    const [scores16, scores8, boxes16, boxes8] = report.outputs.map((o) => o.metrics.cosine);
    expect(Math.max(scores16, scores8)).toBeLessThan(Math.min(boxes16, boxes8));
    const head16 = report.layers.find((l) => short(l.layer) === HEADS.scores16)!;
    expect(head16.cumulative.cosine).toBeCloseTo(scores16, 6); // the output is its Reshape
  });

  test('the two score heads lose the most cosine of all layers, counting what they amplify', () => {
    const lost = (l: AccuracyReport['layers'][number]) => l.input.cosine - l.cumulative.cosine;
    const byLoss = [...report.layers].sort((a, b) => lost(b) - lost(a));
    expect(byLoss.slice(0, 2).map((l) => short(l.layer)).sort()).toEqual([HEADS.scores16, HEADS.scores8]);
    expect(lost(byLoss[1])).toBeGreaterThan(2 * lost(byLoss[2]));
  });

  test('writes one HTML page naming the model, the record and the worst layers', () => {
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain(report.model);
    expect(html).toContain(report.recordFile);
    expect(html).toContain(HEADS.scores8);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//);
  });
});
