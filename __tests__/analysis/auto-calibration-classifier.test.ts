/**
 * The classifier evaluator of docs/accuracy-tools.md on the MNIST example CNN (9 layers):
 * top-1 accuracy on 1,000 held-out labeled digits, accepted at a drop of at most 0.5
 * point. INT8 keeps the accuracy (docs/accuracy.md: 98.1 % → 98.1 % held out), so the
 * flow stops after the float and the all-INT8 evaluations.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { accuracyBasedAutoCalibration, createQuantConfig, loadGraph } from '../../src';
import { ClassifierAccuracyEvaluator } from '../../examples/auto-calibration/classifier-evaluator';
import { gather, IMAGE_SIZE, loadDigits } from '../../examples/mnist/data';
import { MNIST_MODEL, INPUT, OUTPUT } from '../../examples/mnist/quantize';

function batches(indices: ArrayLike<number>, size: number) {
  const digits = loadDigits();
  const out = [];
  for (let i = 0; i < indices.length; i += size) {
    const part = gather(digits, Array.prototype.slice.call(indices, i, i + size));
    out.push({ feeds: { [INPUT]: { data: part.images, shape: [part.count, IMAGE_SIZE, IMAGE_SIZE, 1] } }, labels: part.labels });
  }
  return out;
}

describe('ClassifierAccuracyEvaluator on the MNIST CNN', () => {
  it('accepts the all-INT8 model after two evaluations, within half a point of float', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-auto-mnist-'));
    try {
      const digits = loadDigits();
      const calibration = batches(digits.trainIndices.slice(0, 128), 64).map((b) => b.feeds);
      const heldOut = batches(digits.heldOutIndices.slice(0, 1000), 250);
      const config = path.join(dir, 'config.json');
      await createQuantConfig(config, await loadGraph(MNIST_MODEL), { batchNum: calibration.length });
      const evaluator = new ClassifierAccuracyEvaluator({ output: OUTPUT, calibration, heldOut, maxDrop: 0.005 });
      const result = await accuracyBasedAutoCalibration(MNIST_MODEL, [OUTPUT], path.join(dir, 'record.txt'), config, path.join(dir, 'mnist'), evaluator);
      expect(result.originalMetric).toBeGreaterThan(0.97); // 98.1 % on the held-out digits
      expect(result.originalMetric - result.finalMetric).toBeLessThanOrEqual(0.005);
      expect(result.evaluations).toBe(2);
      expect(result.floatLayers).toEqual([]);
      expect(fs.existsSync(result.files.quantizedPb)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
