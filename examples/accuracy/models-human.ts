/**
 * The rest of @vladmandic/human's graph models (models/*.json): what each is, its input
 * as human feeds it, and a task metric decoding its outputs as human does
 * (src/face, src/hand, src/body, src/object of @vladmandic/human 3.3).
 *
 * | model | human feeds | outputs used |
 * |---|---|---|
 * | antispoof | face crop 128², [0, 1] | real-face score (sigmoid in the graph) |
 * | facemesh | face crop (detector box ×1.4) 192², [0, 1] | 468 x,y,z points in input pixels; face flag (sigmoid); 133 contour x,y |
 * | faceres | face crop 224², 0..255 | gender (sigmoid), 1024-d descriptor (face matching), age (softmax over 100 bins) |
 * | handlandmark-lite | hand-detector box ×1.4, 224², [0, 1], batch 1 | 21 x,y,z points in input pixels; hand score, handedness (sigmoid); world points (metres) |
 * | movenet-lightning | whole frame 192², 0..255 int32, batch 1 | 17 × (y, x, score), y and x as fractions of the input |
 * | centernet | whole frame 512², 0..255, batch 1 | top-100 detections (x1, y1, x2, y2 in input pixels, score, class); wh and class heatmaps |
 * | handtrack | whole frame, 0..255 uint8, batch 1 | 12,804 anchors × 7 class scores and decoded boxes (y1, x1, y2, x2 fractions); human reads these two tensors before the graph's own NMS, so the model quantized is the graph cut at them (prune.ts) |
 */
import * as path from 'path';
import { Image, normalize } from '../../src/data';
import { faceCalibrationCrops, faceHeldOutCrops, sceneCalibrationCrops, sceneHeldOutCrops } from './crops';
import { handCalibrationCrops, handHeldOutCrops, personCalibrationCrops, personHeldOutCrops } from './crops-body';
import { Detection, nonMaxSuppression } from './detections';
import type { ModelSpec } from './models';
import { prunedModel } from './prune';
import { detections, embeddings, landmarks, probabilities, row, scoreDelta } from './tasks';
import type { LandmarkLayout, TaskInputs, TaskResult } from './tasks';

const HUMAN_MODELS = path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');
/** ModelSpec.model of one of human's models/*.json. */
export const human = (name: string) => (): string => path.join(HUMAN_MODELS, `${name}.json`);
/** 0..255 → [0, 1], as human feeds most of its models. */
export const unit = (img: Image): Image => normalize(img, { unitRange: true });
const pixels = (img: Image) => img;

/** human's age: the arg-max bin refined towards the larger neighbour (faceres.ts). */
function age(p: Float32Array): number {
  const i = Array.from(p).indexOf(Math.max(...p));
  return Math.round(p[i - 1] > p[i + 1] ? 10 * i - 100 * p[i - 1] : 10 * i + 100 * (p[i + 1] ?? 0)) / 10;
}

function ageDelta({ f, q, rows }: TaskInputs, k: number): TaskResult {
  const d = Array.from({ length: rows }, (_, r) => Math.abs(age(row(f[k], rows, r)) - age(row(q[k], rows, r))));
  return { name: 'age (human decoding)', value: d.reduce((s, v) => s + v, 0) / rows, unit: 'years', better: 'lower', detail: `max ${Math.max(...d).toFixed(1)} years` };
}

/** centernet's detections tensor, filtered as human does: score ≥ 0.2, NMS at IoU 0.4, 10 at most. */
function centernetDetections(out: Float32Array, rows: number): Detection[][] {
  return Array.from({ length: rows }, (_, r) => {
    const d = row(out, rows, r);
    const all: Detection[] = [];
    for (let i = 0; i < d.length / 6; i++) all.push({ x1: d[6 * i], y1: d[6 * i + 1], x2: d[6 * i + 2], y2: d[6 * i + 3], score: d[6 * i + 4], cls: d[6 * i + 5] });
    return nonMaxSuppression(all, 10, 0.4, 0.2);
  });
}

/**
 * BlazeFace's faces as human's blazeface.ts decodes them: anchors of the 16×16 grid (2 per
 * cell, stride 16) then the 8×8 grid (6 per cell, stride 32); per anchor a score logit and
 * 16 regressions of which [0, 1] move the anchor centre and [2, 3] are the box size, in
 * input pixels. Sigmoid score ≥ 0.2, NMS at IoU 0.1 (human's defaults), 10 faces at most
 * (human's default is 1 face; the photos are group pictures).
 */
export function blazefaceDetections([s16, s8, b16, b8]: Float32Array[], rows: number): Detection[][] {
  const grids: [Float32Array, Float32Array, number, number][] = [[s16, b16, 16, 2], [s8, b8, 32, 6]];
  return Array.from({ length: rows }, (_, r) => {
    const all: Detection[] = [];
    for (const [scores, boxes, stride, perCell] of grids) {
      const s = row(scores, rows, r);
      const b = row(boxes, rows, r);
      const cells = 256 / stride;
      for (let i = 0; i < s.length; i++) {
        const cell = Math.floor(i / perCell);
        const [ax, ay] = [stride * ((cell % cells) + 0.5), stride * (Math.floor(cell / cells) + 0.5)];
        const [cx, cy, w, h] = [b[16 * i] + ax, b[16 * i + 1] + ay, b[16 * i + 2], b[16 * i + 3]];
        all.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score: 1 / (1 + Math.exp(-s[i])), cls: 0 });
      }
    }
    return nonMaxSuppression(all, 10, 0.1, 0.2);
  });
}

/** The output of handtrack's pre-processing loop (a map over the batch), where the measured model starts. */
const HANDTRACK_PREPROCESSED = 'StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack';

/** The two tensors human's handtrack.ts fetches: class scores (sigmoid) and decoded boxes. */
const HANDTRACK_OUTPUTS = ['StatefulPartitionedCall/Postprocessor/Slice', 'StatefulPartitionedCall/Postprocessor/ExpandDims_1'];

/** HANDTRACK_MIN_SCORE: human uses 0.5; these photos have few hands, so 0.3 keeps more to compare. */
const HANDTRACK_MIN_SCORE = 0.3;

/** handtrack as human decodes it: best class except "face" (index 4), NMS at IoU 0.2. */
function handtrackDetections(scores: Float32Array, boxes: Float32Array, rows: number): Detection[][] {
  return Array.from({ length: rows }, (_, r) => {
    const s = row(scores, rows, r);
    const b = row(boxes, rows, r);
    const anchors = b.length / 4;
    const classes = s.length / anchors;
    const all: Detection[] = [];
    for (let i = 0; i < anchors; i++) {
      let score = -1;
      let cls = 0;
      for (let c = 0; c < classes; c++) if (c !== 4 && s[i * classes + c] > score) [score, cls] = [s[i * classes + c], c];
      all.push({ y1: b[4 * i], x1: b[4 * i + 1], y2: b[4 * i + 2], x2: b[4 * i + 3], score, cls });
    }
    return nonMaxSuppression(all, 10, 0.2, HANDTRACK_MIN_SCORE);
  });
}

/** x,y,z points, x and y first (human's mesh, iris and hand landmarks). */
export const xy = (scale: number): LandmarkLayout => ({ stride: 3, x: 0, y: 1, scale });

export const HUMAN_MORE_MODELS: ModelSpec[] = [
  {
    name: 'antispoof',
    model: human('antispoof'),
    input: 'conv2d_input',
    sample: [128, 128, 3],
    maxBatch: 8,
    toInput: unit,
    outputs: ['Identity'],
    classifiers: [],
    calibration: () => faceCalibrationCrops(32, 1.4),
    heldOut: () => faceHeldOutCrops(),
    task: ({ f, q, rows }) => [probabilities('real-face score (sigmoid)', f[0], q[0], rows)],
    autoTarget: { index: 0, threshold: 0.01 },
    inputs: '32 face crops (×1.4) of face-api sample1-6 · 24 facematch faces, 128×128, x/255',
  },
  {
    name: 'facemesh',
    model: human('facemesh'),
    input: 'input_1',
    sample: [192, 192, 3],
    maxBatch: 8,
    toInput: unit,
    outputs: ['Identity_2', 'Identity_1', 'Identity'],
    classifiers: [],
    calibration: () => faceCalibrationCrops(32, 1.4),
    heldOut: () => faceHeldOutCrops(),
    task: ({ f, q, rows }) => [
      landmarks('468 mesh points (192 px input)', f[0], q[0], rows, xy(1)),
      probabilities('face flag (sigmoid)', f[1], q[1], rows),
      landmarks('133 contour points', f[2], q[2], rows, { stride: 2, x: 0, y: 1, scale: 1 }),
    ],
    autoTarget: { index: 0, threshold: 0.5 },
    inputs: '32 face crops (×1.4) of face-api sample1-6 · 24 facematch faces, 192×192, x/255',
  },
  {
    name: 'faceres',
    model: human('faceres'),
    input: 'input_1',
    sample: [224, 224, 3],
    maxBatch: 8,
    toInput: pixels,
    outputs: ['global_pooling/Mean', 'gender_pred/Sigmoid', 'age_pred/Softmax'],
    classifiers: [],
    calibration: () => faceCalibrationCrops(32, 1.4),
    heldOut: () => faceHeldOutCrops(),
    task: (t) => [embeddings('1024-d face descriptor', t.f[0], t.q[0], t.rows), probabilities('gender (sigmoid)', t.f[1], t.q[1], t.rows), ageDelta(t, 2)],
    autoTarget: { index: 0, threshold: 0.99 },
    inputs: '32 face crops (×1.4) of face-api sample1-6 · 24 facematch faces, 224×224, 0..255',
  },
  {
    name: 'handlandmark-lite',
    model: human('handlandmark-lite'),
    input: 'input_1',
    sample: [224, 224, 3],
    maxBatch: 1,
    toInput: unit,
    outputs: ['Identity', 'Identity_1', 'Identity_2', 'Identity_3'],
    classifiers: [],
    calibration: handCalibrationCrops,
    heldOut: handHeldOutCrops,
    task: ({ f, q, rows }) => [
      landmarks('21 hand points (224 px input)', f[0], q[0], rows, xy(1)),
      probabilities('hand score (sigmoid)', f[1], q[1], rows),
      probabilities('handedness (sigmoid)', f[2], q[2], rows),
    ],
    autoTarget: { index: 0, threshold: 2 },
    inputs: '32 crops (×1.4–2.2) of the 6 hands handtrack finds in face-api sample1-6 · 24 crops of 6 hands in human assets, 224×224, x/255',
  },
  {
    name: 'movenet-lightning',
    model: human('movenet-lightning'),
    input: 'input',
    inputDtype: 'int32',
    sample: [192, 192, 3],
    maxBatch: 1,
    toInput: pixels,
    outputs: ['Identity'],
    classifiers: [],
    calibration: personCalibrationCrops,
    heldOut: personHeldOutCrops,
    task: ({ f, q, rows }) => [
      landmarks('17 keypoints with float score ≥ 0.3 (192 px input)', f[0], q[0], rows, { stride: 3, x: 1, y: 0, scale: 192, keep: (r, p) => f[0][(r * 17 + p) * 3 + 2] >= 0.3 }),
      scoreDelta('keypoint scores', f[0].filter((_, i) => i % 3 === 2), q[0].filter((_, i) => i % 3 === 2)),
    ],
    autoTarget: { index: 0, threshold: 2 },
    inputs: '32 person crops around the faces of face-api sample1-6 · 18 other framings + 6 human assets, 192×192, 0..255 int32, one per batch',
  },
  {
    name: 'centernet',
    model: human('centernet'),
    input: 'tower_0/images',
    sample: [512, 512, 3],
    maxBatch: 1,
    toInput: pixels,
    outputs: ['tower_0/detections', 'tower_0/wh', 'tower_0/keypoints'],
    classifiers: [],
    calibration: () => sceneCalibrationCrops(),
    heldOut: sceneHeldOutCrops,
    task: ({ f, q, rows }) => [detections('objects (score ≥ 0.2, NMS 0.4, ≤ 10)', centernetDetections(f[0], rows), centernetDetections(q[0], rows))],
    autoTarget: { index: 0, threshold: 0.9 },
    inputs: 'same scenes as nsfwjs, 512×512, 0..255, one per batch',
  },
  {
    name: 'handtrack',
    model: (outDir) => prunedModel(human('handtrack')(), HANDTRACK_OUTPUTS, outDir, 'handtrack_detector', { node: HANDTRACK_PREPROCESSED, name: 'preprocessed', shape: [1, 320, 320, 3] }),
    input: 'preprocessed',
    sample: [320, 320, 3],
    maxBatch: 1,
    // the graph's own pre-processing (prune.ts): integer pixels (human casts to int32), ·2/255 − 1
    toInput: (img) => normalize({ ...img, data: img.data.map(Math.round) }, { mean: [127.5], std: [127.5] }),
    outputs: HANDTRACK_OUTPUTS,
    classifiers: [],
    calibration: () => sceneCalibrationCrops(),
    heldOut: sceneHeldOutCrops,
    task: ({ f, q, rows }) => [detections(`hands (score ≥ ${HANDTRACK_MIN_SCORE}, NMS 0.2, ≤ 10)`, handtrackDetections(f[0], f[1], rows), handtrackDetections(q[0], q[1], rows))],
    autoTarget: { index: 0, threshold: 0.9 },
    inputs: 'same scenes as nsfwjs, 320×320 (the signature size), integer pixels ·2/255 − 1 (the graph\'s pre-processing, done outside), one per batch',
  },
];
