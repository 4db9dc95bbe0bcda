/**
 * AMCT-TF's MobileNetV2 calibration sample (samples/mobilenet_v2: mobilenet_v2_calibration.py)
 * ported step by step to amct-ts, on nsfwjs's MobileNetV2 since the sample's
 * mobilenetv2_tf.pb is not an npm package:
 *
 *   float prediction on one image → create_quant_config → quantize_model → calibrate on
 *   32 images → save_model → reload the _quantized.pb → its prediction on the same image.
 *
 * On top of the sample's single image, the float and INT8 models are compared on 24
 * held-out inputs (crops the calibration never saw, and other pictures): top-1 agreement
 * and the cosine of the output probabilities.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as amct from '../../src';
import { Image, normalize } from '../../src/data';
import { sceneCalibrationCrops, sceneHeldOutCrops } from '../accuracy/crops';
import { argmax, concat, rowCosines, summarize, top1Agreement } from '../accuracy/metrics';
import { cropBatch, Crop, FULL, HUMAN_PHOTOS } from '../accuracy/photos';
import { CLASSES, INPUT, OUTPUT, SIDE, writeNsfwjsModel } from './model';

export interface MobilenetV2Options {
  /** Folder for the model, config, record, _quantized.pb and _quant.json (created if missing). */
  outDir: string;
  backend?: amct.BackendName;
  /** AMCT's batch_num: the 32 calibration images are split into this many batches (default 1, as the sample). */
  batchNum?: number;
  say?: (line: string) => void;
}

export interface Prediction {
  index: number;
  label: string;
  prob: number;
}

export interface MobilenetV2Result {
  origin: Prediction;
  quantized: Prediction;
  heldOut: { count: number; top1Agreement: number; meanCosine: number; minCosine: number };
  quantizedLayers: string[];
  files: { model: string; config: string; record: string; quantizedPb: string; quantJson: string };
  seconds: { calibration: number; save: number; total: number };
}

const CALIBRATION_IMAGES = 32;
/** The sample's data/classification.jpg: here human's samples.jpg, not a calibration photo. */
const TEST_IMAGE: Crop = { photo: HUMAN_PHOTOS.samples, box: FULL };

/** nsfwjs's preprocessing: pixels / 255 (the graph's hub_input does ×2 − 1). */
const toInput = (img: Image): Image => normalize(img, { unitRange: true });

export function cropsToBatch(crops: Crop[]) {
  return cropBatch(crops, SIDE, SIDE, toInput);
}

async function predict(session: amct.Session, crops: Crop[]): Promise<Float32Array> {
  const out = await session.run(OUTPUT, { [INPUT]: await cropsToBatch(crops) });
  return out.data as Float32Array;
}

function top(probs: Float32Array): Prediction {
  const index = argmax(probs, 0, probs.length);
  return { index, label: CLASSES[index], prob: probs[index] };
}

/** Runs each batch through the calibration graph; the record is written after batch `batchNum`. */
async function calibrate(graph: amct.Graph, batchNum: number, backend: amct.BackendName | undefined, say: (l: string) => void): Promise<void> {
  const crops = sceneCalibrationCrops(CALIBRATION_IMAGES);
  const per = Math.ceil(crops.length / batchNum);
  const session = await amct.Session.create(graph, { backend });
  try {
    for (let b = 0; b < batchNum; b++) {
      await session.run(OUTPUT, { [INPUT]: await cropsToBatch(crops.slice(b * per, (b + 1) * per)) });
      say(`calibration batch ${b + 1}/${batchNum} (${crops.slice(b * per, (b + 1) * per).length} images)`);
    }
  } finally {
    session.dispose();
  }
}

/** Float vs INT8 over the held-out crops, 8 at a time to bound memory. */
async function compareHeldOut(floatS: amct.Session, int8S: amct.Session): Promise<MobilenetV2Result['heldOut']> {
  const crops = sceneHeldOutCrops();
  const f: Float32Array[] = [];
  const q: Float32Array[] = [];
  for (let i = 0; i < crops.length; i += 8) {
    f.push(await predict(floatS, crops.slice(i, i + 8)));
    q.push(await predict(int8S, crops.slice(i, i + 8)));
  }
  const [a, b] = [concat(f), concat(q)];
  const cos = summarize(rowCosines(a, b, crops.length));
  return { count: crops.length, top1Agreement: top1Agreement(a, b, crops.length), meanCosine: cos.mean, minCosine: cos.min };
}

export async function runMobilenetV2Example(options: MobilenetV2Options): Promise<MobilenetV2Result> {
  const say = options.say ?? (() => undefined);
  const batchNum = options.batchNum ?? 1;
  if (!Number.isInteger(batchNum) || batchNum < 1 || batchNum > CALIBRATION_IMAGES) {
    throw new amct.AmctError('INVALID_ARGUMENT', `batchNum ${batchNum} must be an integer from 1 to ${CALIBRATION_IMAGES}`, {
      hint: `the ${CALIBRATION_IMAGES} calibration images are split into batchNum batches`,
    });
  }
  const { backend } = options;
  const started = Date.now();
  fs.mkdirSync(options.outDir, { recursive: true });
  const model = writeNsfwjsModel(path.join(options.outDir, 'mobilenet_v2_mid'));
  const savePath = path.join(options.outDir, 'mobilenet_v2');
  const files = {
    model,
    config: path.join(options.outDir, 'config.json'),
    record: path.join(options.outDir, 'record.txt'),
    quantizedPb: `${savePath}_quantized.pb`,
    quantJson: `${savePath}_quant.json`,
  };

  // Step one: the original model, and its prediction on the test image.
  const graph = await amct.loadGraph(model);
  const floatS = await amct.Session.create(graph, { backend });
  try {
    const origin = top(await predict(floatS, [TEST_IMAGE]));

    // Steps two and three: the quantization config, then the calibration graph (in place).
    await amct.createQuantConfig(files.config, graph, { skipLayers: [], batchNum });
    await amct.quantizeModel(graph, files.config, files.record);

    // Step four: calibrate, then save the deployable model.
    const t0 = Date.now();
    await calibrate(graph, batchNum, backend, say);
    const t1 = Date.now();
    const saved = await amct.saveModel(model, [OUTPUT], files.record, savePath);
    say(`[save_model]: The model is saved in ${saved.quantizedPb}`);
    const t2 = Date.now();

    // Step five: reload the quantized model and run it as the original was run.
    const int8S = await amct.Session.create(await amct.loadGraph(files.quantizedPb), { backend });
    try {
      const quantized = top(await predict(int8S, [TEST_IMAGE]));
      const heldOut = await compareHeldOut(floatS, int8S);
      const seconds = { calibration: (t1 - t0) / 1000, save: (t2 - t1) / 1000, total: (Date.now() - started) / 1000 };
      return { origin, quantized, heldOut, quantizedLayers: saved.layers, files, seconds };
    } finally {
      int8S.dispose();
    }
  } finally {
    floatS.dispose();
  }
}
