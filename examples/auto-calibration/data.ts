/**
 * Models and batches for the auto-calibration examples, test and benchmark: BlazeFace
 * (human's face detector, 256×256, x/127.5 − 1, one image per run) and nsfwjs's
 * MobileNetV2 (224×224, x/255). Calibration crops come from face-api's demo photos,
 * held-out crops from other boxes of them and human's pictures (examples/accuracy/crops.ts).
 */
import * as path from 'path';
import type { Feeds } from '../../src';
import { normalize } from '../../src/data';
import type { Image } from '../../src/data';
import { sceneCalibrationCrops, sceneHeldOutCrops } from '../accuracy/crops';
import { cropBatch } from '../accuracy/photos';
import type { Crop } from '../accuracy/photos';
import { writeNsfwjsModel } from '../mobilenet_v2/model';

export interface ExampleModel {
  name: string;
  model: string;
  outputs: string[];
  /** Outputs the evaluator scores, and whether they are logits. */
  scored: string[];
  sigmoid: boolean;
  calibration: Feeds[];
  heldOut: Feeds[];
}

const HUMAN_MODELS = path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');

async function batches(crops: Crop[], perBatch: number, input: string, side: number, toInput: (img: Image) => Image): Promise<Feeds[]> {
  const out: Feeds[] = [];
  for (let i = 0; i < crops.length; i += perBatch) out.push({ [input]: await cropBatch(crops.slice(i, i + perBatch), side, side, toInput) });
  return out;
}

/** Spread `count` picks over `items`, so a few held-out images still cover every photo. */
function spread<T>(items: T[], count: number): T[] {
  if (count >= items.length) return items;
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

/** BlazeFace: scores of the 16×16 and 8×8 anchor grids (logits), then their boxes. */
export async function blazeface(calibrationImages: number, heldOutImages: number): Promise<ExampleModel> {
  const toInput = (img: Image) => normalize(img, { mean: [127.5], std: [127.5] });
  return {
    name: 'blazeface',
    model: path.join(HUMAN_MODELS, 'blazeface.json'),
    outputs: ['Identity', 'Identity_1', 'Identity_2', 'Identity_3'],
    scored: ['Identity', 'Identity_1'],
    sigmoid: true,
    calibration: await batches(sceneCalibrationCrops(calibrationImages), 1, 'input', 256, toInput),
    heldOut: await batches(spread(sceneHeldOutCrops(), heldOutImages), 1, 'input', 256, toInput),
  };
}

/** nsfwjs MobileNetV2 (written as model.json + shards into `dir`): 5 class probabilities. */
export async function nsfwjs(dir: string, calibrationBatches: number, heldOutImages: number, perBatch = 8): Promise<ExampleModel> {
  const toInput = (img: Image) => normalize(img, { unitRange: true });
  return {
    name: 'nsfwjs',
    model: writeNsfwjsModel(path.join(dir, 'mobilenet_v2_mid')),
    outputs: ['Identity'],
    scored: ['Identity'],
    sigmoid: false,
    calibration: await batches(sceneCalibrationCrops(calibrationBatches * perBatch), perBatch, 'input', 224, toInput),
    heldOut: await batches(spread(sceneHeldOutCrops(), heldOutImages), perBatch, 'input', 224, toInput),
  };
}
