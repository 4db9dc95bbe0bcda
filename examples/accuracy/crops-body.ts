/**
 * Crops for human's hand and body models.
 *
 * - Hands (handlandmark-lite: human feeds it the hand detector's box, enlarged 1.4×):
 *   the boxes human's own float hand detector (handtrack) finds at score ≥ 0.3 in the
 *   photos, frozen here so runs are deterministic. Calibration: the 6 hands of face-api
 *   sample1–6 at 6 enlargements, every other one mirrored (32). Held-out: the 6 hands
 *   of human's samples.jpg, screenshot-facedetect.jpg and screenshot-faceid.jpg at 2
 *   enlargements, mirrored and not (24). These photos have few hands: some "hands" are
 *   what the detector took for one, which is also what human would feed.
 * - People (movenet-lightning, single pose): a square around each hand-placed face of the
 *   calibration photos reaching down the body (5.5 face sides; 4 for held-out framing),
 *   plus the 6 whole-picture views of human's assets held out for scenes.
 */
import * as path from 'path';
import { FACES, sceneHeldOutCrops } from './crops';
import { Box, CALIBRATION_PHOTOS, Crop, HUMAN_PHOTOS } from './photos';

/** [x1, y1, x2, y2] as fractions of the photo, from handtrack (float) on the whole photo. */
const CALIBRATION_HANDS: [number, [number, number, number, number]][] = [
  [0, [0.76, 0.134, 0.898, 0.351]],
  [0, [0.766, 0.447, 0.828, 0.55]],
  [1, [0.406, 0.729, 0.502, 0.91]],
  [3, [0.374, 0.494, 0.556, 0.616]],
  [4, [0.59, 0.81, 0.708, 0.979]],
  [5, [0.681, 0.869, 0.768, 0.974]],
];

const FACEID = path.join(path.dirname(HUMAN_PHOTOS.samples), 'screenshot-faceid.jpg');

const HELD_OUT_HANDS: [string, [number, number, number, number]][] = [
  [HUMAN_PHOTOS.samples, [0.606, 0.677, 0.669, 0.882]],
  [HUMAN_PHOTOS.samples, [0.194, 0.717, 0.272, 0.874]],
  [HUMAN_PHOTOS.facedetect, [0.589, 0.465, 0.8, 0.706]],
  [HUMAN_PHOTOS.facedetect, [0.025, 0.469, 0.168, 0.669]],
  [HUMAN_PHOTOS.facedetect, [0.109, 0.101, 0.37, 0.338]],
  [FACEID, [0.047, 0.244, 0.163, 0.471]],
];

/** The box scaled by `k` about its centre (human's box.scale). */
function scaled([x1, y1, x2, y2]: [number, number, number, number], k: number): Box {
  const [cx, cy, w, h] = [(x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) * k, (y2 - y1) * k];
  return { x: cx - w / 2, y: cy - h / 2, w, h };
}

export function handCalibrationCrops(): Crop[] {
  const out: Crop[] = [];
  for (const k of [1.4, 1.7, 2.0, 1.55, 1.85, 2.2]) {
    for (const [i, box] of CALIBRATION_HANDS) out.push({ photo: CALIBRATION_PHOTOS[i], box: scaled(box, k), flip: out.length % 2 === 1 });
  }
  return out.slice(0, 32);
}

export function handHeldOutCrops(): Crop[] {
  const out: Crop[] = [];
  for (const k of [1.4, 1.8]) for (const flip of [false, true]) for (const [photo, box] of HELD_OUT_HANDS) out.push({ photo, box: scaled(box, k), flip });
  return out;
}

/** Square (in pixels) from `up` face sides above the face centre, `side` face sides wide. */
function personBoxes(side: number, up: number): Crop[] {
  return FACES.flatMap((p, i) => p.faces.map(([cx, cy, s]) => {
    const k = p.width / 480;
    const S = side * s * k;
    return { photo: CALIBRATION_PHOTOS[i], box: { x: (cx * k - S / 2) / p.width, y: (cy * k - up * s * k) / p.height, w: S / p.width, h: S / p.height } };
  }));
}

/** The 22 people of the calibration photos, then 10 of them mirrored: 32. */
export function personCalibrationCrops(): Crop[] {
  const people = personBoxes(5.5, 1);
  return [...people, ...people.slice(0, 10).map((c) => ({ ...c, flip: true }))];
}

/** 18 tighter framings of those people (every third mirrored) + 6 whole pictures of human's assets: 24. */
export function personHeldOutCrops(): Crop[] {
  const people = personBoxes(4, 0.7).filter((_, i) => i % 5 !== 4).slice(0, 18).map((c, i) => ({ ...c, flip: i % 3 === 0 }));
  return [...people, ...sceneHeldOutCrops().slice(-6)];
}
