/**
 * The image models of the accuracy report: where each model file is, what its input
 * expects (size, channels, value range: as the library that ships the model feeds it),
 * which outputs to compare, and which crops calibrate and evaluate it.
 *
 * Preprocessing follows the callers' code: nsfwjs divides pixels by 255; human's face
 * models get face crops in [0, 1] (emotion: grayscale by human's rgb weights, then
 * (g − 0.5)·2), BlazeFace gets the whole frame as x/127.5 − 1.
 */
import * as path from 'path';
import { Image, normalize, toChannels } from '../../src/data';
import { writeNsfwjsModel } from '../mobilenet_v2/model';
import { eyeCrops, faceCalibrationCrops, faceHeldOutCrops, sceneCalibrationCrops, sceneHeldOutCrops } from './crops';
import type { Crop } from './photos';

const HUMAN_MODELS = path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');

export interface ModelSpec {
  name: string;
  /** The model.json to quantize; nsfwjs's is written into `outDir` first. */
  model(outDir: string): string;
  input: string;
  /** Height, width, channels of one input. */
  sample: [number, number, number];
  /** Largest batch per run: BlazeFace's input is fixed at batch 1. */
  maxBatch: number;
  /** 0..255 RGB crop → the model's input. */
  toInput(img: Image): Image;
  outputs: string[];
  /** Outputs whose arg-max means something (class scores; a detector's best anchor). */
  classifiers: string[];
  /**
   * Logit outputs the caller passes through a sigmoid (BlazeFace's scores): also compared
   * as probabilities, since cosine of raw logits is ruled by anchors at −500 that any
   * threshold discards.
   */
  sigmoid?: string[];
  calibration(): Crop[];
  heldOut(): Crop[];
  /** One line for docs/accuracy.md: what was fed. */
  inputs: string;
}

const unit = (img: Image) => normalize(img, { unitRange: true });
/** human's emotion: rgb→gray with tf weights (0.2989, 0.587, 0.114), on [0, 1], then (g − 0.5)·2. */
const emotionInput = (img: Image) => normalize(toChannels(img, 'RGB', 1), { unitRange: true, mean: [0.5], std: [0.5] });
const minusOneToOne = (img: Image) => normalize(img, { mean: [127.5], std: [127.5] });

const human = (name: string) => () => path.join(HUMAN_MODELS, `${name}.json`);

export const MODELS: ModelSpec[] = [
  {
    name: 'nsfwjs',
    model: (outDir) => writeNsfwjsModel(path.join(outDir, 'mobilenet_v2_mid')),
    input: 'input',
    sample: [224, 224, 3],
    maxBatch: 8,
    toInput: unit,
    outputs: ['Identity'],
    classifiers: ['Identity'],
    calibration: () => sceneCalibrationCrops(),
    heldOut: sceneHeldOutCrops,
    inputs: '32 crops/flips of face-api sample1-6 · 24 held-out crops + human assets, 224×224, x/255',
  },
  {
    name: 'blazeface',
    model: human('blazeface'),
    input: 'input',
    sample: [256, 256, 3],
    maxBatch: 1,
    toInput: minusOneToOne,
    // scores of the 16×16 and 8×8 anchor grids, then their box regressions
    outputs: ['Identity', 'Identity_1', 'Identity_2', 'Identity_3'],
    classifiers: ['Identity', 'Identity_1'],
    sigmoid: ['Identity', 'Identity_1'],
    calibration: () => sceneCalibrationCrops(),
    heldOut: sceneHeldOutCrops,
    inputs: 'same scenes as nsfwjs, 256×256, x/127.5 − 1, one per batch',
  },
  {
    name: 'emotion',
    model: human('emotion'),
    input: 'input_1',
    sample: [64, 64, 1],
    maxBatch: 8,
    toInput: emotionInput,
    outputs: ['Identity'],
    classifiers: ['Identity'],
    calibration: () => faceCalibrationCrops(),
    heldOut: () => faceHeldOutCrops(),
    inputs: '32 face crops of face-api sample1-6 · 24 faces of human screenshot-facematch, 64×64 gray, (g/255 − 0.5)·2',
  },
  {
    name: 'iris',
    model: human('iris'),
    input: 'input_1',
    sample: [64, 64, 3],
    maxBatch: 8,
    toInput: unit,
    outputs: ['Identity'],
    classifiers: [],
    calibration: () => eyeCrops(faceCalibrationCrops(16)),
    heldOut: () => eyeCrops(faceHeldOutCrops(12)),
    inputs: '32 eye crops of face-api faces · 24 eye crops of facematch faces, 64×64, x/255',
  },
  {
    name: 'liveness',
    model: human('liveness'),
    input: 'conv2d_1_input',
    sample: [32, 32, 3],
    maxBatch: 8,
    toInput: unit,
    outputs: ['Identity'],
    classifiers: ['Identity'],
    calibration: () => faceCalibrationCrops(),
    heldOut: () => faceHeldOutCrops(),
    inputs: 'same faces as emotion, 32×32, x/255',
  },
];

export function modelSpec(name: string): ModelSpec {
  const spec = MODELS.find((m) => m.name === name);
  if (!spec) throw new Error(`unknown model "${name}"; one of: mnist, ${MODELS.map((m) => m.name).join(', ')}, all`);
  return spec;
}
