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
import { blazefaceDetections, human, HUMAN_MORE_MODELS, unit, xy } from './models-human';
import { AutoTarget, detections, landmarks, probabilities, sigmoid, TaskMetric } from './tasks';

export interface ModelSpec {
  name: string;
  /** The model file to quantize; nsfwjs's and handtrack's detector part are written into `outDir` first. */
  model(outDir: string): string | Promise<string>;
  input: string;
  /** The input placeholder's dtype when not float32 (movenet's int32, handtrack's uint8): values are rounded. */
  inputDtype?: 'int32';
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
  /** The model's task metric, float vs INT8, as its caller decodes the outputs (tasks.ts). */
  task?: TaskMetric;
  /** What auto calibration must reach (a result of `task`); no auto row without it. */
  autoTarget?: AutoTarget;
  /** One line for docs/accuracy.md: what was fed. */
  inputs: string;
}

/** human's emotion: rgb→gray with tf weights (0.2989, 0.587, 0.114), on [0, 1], then (g − 0.5)·2. */
const emotionInput = (img: Image) => normalize(toChannels(img, 'RGB', 1), { unitRange: true, mean: [0.5], std: [0.5] });
const minusOneToOne = (img: Image) => normalize(img, { mean: [127.5], std: [127.5] });

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
    task: ({ f, q, rows }) => [probabilities('5 class probabilities', f[0], q[0], rows)],
    autoTarget: { index: 0, threshold: 0.99 },
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
    task: ({ f, q, rows }) => [
      detections('faces (score ≥ 0.2, NMS 0.1, ≤ 10)', blazefaceDetections(f, rows), blazefaceDetections(q, rows)),
      probabilities('16×16 anchor face scores (sigmoid)', sigmoid(f[0]), sigmoid(q[0]), rows),
      probabilities('8×8 anchor face scores (sigmoid)', sigmoid(f[1]), sigmoid(q[1]), rows),
    ],
    calibration: () => sceneCalibrationCrops(),
    heldOut: sceneHeldOutCrops,
    autoTarget: { index: 1, threshold: 0.99 },
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
    task: ({ f, q, rows }) => [probabilities('7 emotion probabilities', f[0], q[0], rows)],
    autoTarget: { index: 0, threshold: 0.99 },
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
    // 71 eye-contour points then 5 iris points, x,y,z in input pixels (human's iris.ts)
    task: ({ f, q, rows }) => [landmarks('76 eye and iris points (64 px input)', f[0], q[0], rows, xy(1))],
    autoTarget: { index: 0, threshold: 0.25 },
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
    task: ({ f, q, rows }) => [probabilities('real/fake softmax', f[0], q[0], rows)],
    autoTarget: { index: 0, threshold: 0.99 },
    inputs: 'same faces as emotion, 32×32, x/255',
  },
  ...HUMAN_MORE_MODELS,
];

export function modelSpec(name: string): ModelSpec {
  const spec = MODELS.find((m) => m.name === name);
  if (!spec) throw new Error(`unknown model "${name}"; one of: mnist, ${MODELS.map((m) => m.name).join(', ')}, all`);
  return spec;
}
