/**
 * The whole AMCT flow on the committed MNIST CNN, as a user script would write it:
 * createQuantConfig → quantizeModel → calibrate with a Session → saveModel → reload the
 * INT8 model and compare its accuracy with the float model's on the 10,000 labeled digits.
 * The README's demo and the example's test both call runMnistQuantization.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as amct from '../../src';
import { gather, loadDigits, PIXELS } from './data';
import { evaluateAccuracy } from './evaluate';

export const MNIST_MODEL = path.join(__dirname, 'model', 'mnist_cnn.pb');
export const INPUT = 'input';
export const OUTPUT = 'output';

export interface MnistQuantizationOptions {
  /** Folder for config, record, _quantized.pb and _quant.json (created if missing). */
  outDir: string;
  backend?: amct.BackendName;
  /** Calibration batches (AMCT's batch_num) and images per batch. */
  batchNum?: number;
  batchSize?: number;
  /** The float model to quantize (default the committed MNIST CNN, MNIST_MODEL). */
  modelFile?: string;
  /** createQuantConfig's dmqBalancerParam: the DMQ balancer on every layer with weights. */
  dmqBalancerParam?: number;
  /** Progress lines for the demo; silent when absent. */
  say?: (line: string) => void;
}

export interface MnistQuantizationResult {
  quantizedLayers: string[];
  floatAccuracy: number;
  int8Accuracy: number;
  /** Accuracy on the 2,000 digits the model was never trained on. */
  floatHeldOut: number;
  int8HeldOut: number;
  evaluated: number;
  heldOutCount: number;
  floatBytes: number;
  int8Bytes: number;
  files: { config: string; record: string; quantizedPb: string; quantJson: string };
  seconds: { calibration: number; save: number; evaluation: number; total: number };
}

/** Calibration images: the first digits of the training split, so no test digit is seen. */
function calibrationBatches(images: Float32Array, batchNum: number, batchSize: number): Float32Array[] {
  return Array.from({ length: batchNum }, (_, b) => images.subarray(b * batchSize * PIXELS, (b + 1) * batchSize * PIXELS));
}

async function accuracyOf(session: amct.Session, images: Float32Array, labels: Uint8Array) {
  return evaluateAccuracy(session, OUTPUT, images, labels, 500, { inputName: INPUT });
}

export async function runMnistQuantization(options: MnistQuantizationOptions): Promise<MnistQuantizationResult> {
  const say = options.say ?? (() => undefined);
  const batchNum = options.batchNum ?? 4;
  const batchSize = options.batchSize ?? 64;
  const started = Date.now();
  fs.mkdirSync(options.outDir, { recursive: true });
  const files = {
    config: path.join(options.outDir, 'config.json'),
    record: path.join(options.outDir, 'record.txt'),
    quantizedPb: path.join(options.outDir, 'mnist_quantized.pb'),
    quantJson: path.join(options.outDir, 'mnist_quant.json'),
  };
  const savePath = path.join(options.outDir, 'mnist');

  const digits = loadDigits();
  const train = gather(digits, digits.trainIndices);
  const heldOut = gather(digits, digits.heldOutIndices);

  // 1. Config and calibration graph.
  const modelFile = options.modelFile ?? MNIST_MODEL;
  const graph = await amct.loadGraph(modelFile);
  await amct.createQuantConfig(files.config, graph, { batchNum, dmqBalancerParam: options.dmqBalancerParam });
  await amct.quantizeModel(graph, files.config, files.record);

  // 2. Calibration: the user's own inference loop over batch_num batches.
  const t0 = Date.now();
  const calib = await amct.Session.create(graph, { backend: options.backend });
  try {
    for (const [i, batch] of calibrationBatches(train.images, batchNum, batchSize).entries()) {
      await calib.run([OUTPUT], { [INPUT]: { data: batch, shape: [batchSize, 28, 28, 1] } });
      say(`calibration batch ${i + 1}/${batchNum}`);
    }
  } finally {
    calib.dispose();
  }
  const calibration = (Date.now() - t0) / 1000;

  // 3. The deployable INT8 model.
  const t1 = Date.now();
  const saved = await amct.saveModel(modelFile, [OUTPUT], files.record, savePath);
  const save = (Date.now() - t1) / 1000;

  // 4. Float vs INT8 on every labeled digit, and on the held-out ones.
  const t2 = Date.now();
  const floatSession = await amct.Session.create(await amct.loadGraph(modelFile), { backend: options.backend });
  const int8Session = await amct.Session.create(await amct.loadGraph(files.quantizedPb), { backend: options.backend });
  try {
    const floatAll = await accuracyOf(floatSession, digits.images, digits.labels);
    const int8All = await accuracyOf(int8Session, digits.images, digits.labels);
    const floatHeld = await accuracyOf(floatSession, heldOut.images, heldOut.labels);
    const int8Held = await accuracyOf(int8Session, heldOut.images, heldOut.labels);
    const evaluation = (Date.now() - t2) / 1000;
    return {
      quantizedLayers: saved.layers,
      floatAccuracy: floatAll.accuracy,
      int8Accuracy: int8All.accuracy,
      floatHeldOut: floatHeld.accuracy,
      int8HeldOut: int8Held.accuracy,
      evaluated: floatAll.count,
      heldOutCount: floatHeld.count,
      floatBytes: fs.statSync(modelFile).size,
      int8Bytes: fs.statSync(files.quantizedPb).size,
      files,
      seconds: { calibration, save, evaluation, total: (Date.now() - started) / 1000 },
    };
  } finally {
    floatSession.dispose();
    int8Session.dispose();
  }
}
