/**
 * The crop sets every model of the accuracy report (and the MobileNetV2 example) uses.
 *
 * - Scenes (whole-image models: nsfwjs MobileNetV2, BlazeFace): calibration takes 5 boxes
 *   of each calibration photo plus 2 more, 32 in all, every other one mirrored (AMCT's
 *   MobileNetV2 sample calibrates on 32 images); held-out takes 3 other boxes of the same
 *   photos and 6 views of human's pictures.
 * - Faces (emotion, liveness, iris: human feeds them face crops): boxes drawn by hand
 *   around the 22 faces of the calibration photos; held-out faces come from the grid of
 *   other people's faces in human's screenshot-facematch.jpg.
 */
import { Box, CALIBRATION_PHOTOS, Crop, crossCrops, FULL, HUMAN_PHOTOS } from './photos';

const SCENE_CALIBRATION_BOXES: Box[] = [
  FULL,
  { x: 0, y: 0, w: 0.67, h: 1 }, // left two thirds
  { x: 0.33, y: 0, w: 0.67, h: 1 }, // right two thirds
  { x: 0.1, y: 0.1, w: 0.8, h: 0.8 }, // centre, 80 %
  { x: 0.2, y: 0, w: 0.6, h: 0.6 }, // top middle, where the faces are
  { x: 0, y: 0.4, w: 1, h: 0.6 }, // bottom band (only the first two photos: 32 in all)
];

const SCENE_HELD_OUT_BOXES: Box[] = [
  { x: 0.25, y: 0.15, w: 0.5, h: 0.6 }, // centre, 50 %
  { x: 0, y: 0.1, w: 0.5, h: 0.8 }, // left half
  { x: 0.5, y: 0.1, w: 0.5, h: 0.8 }, // right half
];

/** Box-major, so the first 32 cover every photo with each box before the last box. */
export function sceneCalibrationCrops(count = 32): Crop[] {
  const all: Crop[] = [];
  for (const box of SCENE_CALIBRATION_BOXES) for (const photo of CALIBRATION_PHOTOS) all.push({ photo, box, flip: all.length % 2 === 1 });
  return all.slice(0, count);
}

/** 18 unseen crops of the calibration photos + 6 views of other pictures = 24. */
export function sceneHeldOutCrops(): Crop[] {
  return [
    ...crossCrops(CALIBRATION_PHOTOS, SCENE_HELD_OUT_BOXES, (i) => i % 3 === 0),
    { photo: HUMAN_PHOTOS.samples, box: FULL },
    { photo: HUMAN_PHOTOS.samples, box: { x: 0, y: 0.17, w: 1, h: 0.83 }, flip: true }, // the group photo
    { photo: HUMAN_PHOTOS.samples, box: { x: 0.2, y: 0.25, w: 0.5, h: 0.5 } },
    { photo: HUMAN_PHOTOS.facematch, box: { x: 0, y: 0.25, w: 0.5, h: 0.75 } }, // face grid
    { photo: HUMAN_PHOTOS.facedetect, box: FULL },
    { photo: HUMAN_PHOTOS.vrm, box: FULL, flip: true },
  ];
}

/** Photo size in pixels and hand-placed faces as [centre x, centre y, side] on a 480-pixel-wide copy. */
export const FACES: { width: number; height: number; faces: [number, number, number][] }[] = [
  { width: 1920, height: 1280, faces: [[128, 118, 48], [232, 132, 48], [393, 82, 52]] },
  { width: 1920, height: 1367, faces: [[110, 75, 52], [248, 85, 52], [388, 60, 52]] },
  { width: 1920, height: 1350, faces: [[175, 112, 52], [302, 85, 50], [400, 102, 50]] },
  { width: 1920, height: 1448, faces: [[72, 78, 46], [180, 75, 46], [272, 72, 46], [340, 70, 46]] },
  { width: 1920, height: 1398, faces: [[213, 55, 40], [302, 70, 40], [155, 140, 44], [116, 240, 50], [392, 130, 50]] },
  { width: 1920, height: 1537, faces: [[90, 155, 50], [192, 132, 46], [318, 100, 50], [412, 88, 50]] },
];

/** A square of side `side·scale` (480-wide units) around (cx, cy), as fractions of the photo. */
function squareBox(width: number, height: number, [cx, cy, side]: [number, number, number], scale: number): Box {
  const k = width / 480;
  const s = side * scale * k;
  return { x: (cx * k - s / 2) / width, y: (cy * k - s / 2) / height, w: s / width, h: s / height };
}

/** Every calibration-photo face, then every face mirrored: 44 crops; the first `count`. */
export function faceCalibrationCrops(count = 32, scale = 1.2): Crop[] {
  const faces = FACES.flatMap((p, i) => p.faces.map((f) => ({ photo: CALIBRATION_PHOTOS[i], box: squareBox(p.width, p.height, f, scale) })));
  return [...faces, ...faces.map((c) => ({ ...c, flip: true }))].slice(0, count);
}

/**
 * Faces of screenshot-facematch.jpg (1920×954): a grid of 18 columns × 6 rows of ~107×112
 * pixel cells from y = 281; the central 80 pixels of a cell hold the face without most of
 * its caption. `count` cells spread over the grid, every third mirrored.
 */
export function faceHeldOutCrops(count = 24): Crop[] {
  const out: Crop[] = [];
  for (let k = 0; k < count; k++) {
    const cell = Math.floor((k * 108) / count);
    const col = cell % 18;
    const row = Math.floor(cell / 18);
    const cx = col * 106.7 + 53;
    const cy = 281 + row * 112.5 + 55;
    out.push({ photo: HUMAN_PHOTOS.facematch, box: { x: (cx - 40) / 1920, y: (cy - 40) / 954, w: 80 / 1920, h: 80 / 954 }, flip: k % 3 === 0 });
  }
  return out;
}

/** Eye regions for the iris model: the upper-left and upper-right parts of each face box. */
export function eyeCrops(faces: Crop[]): Crop[] {
  return faces.flatMap((f) => [0.3, 0.7].map((ex) => ({
    ...f,
    box: { x: f.box.x + (ex - 0.2) * f.box.w, y: f.box.y + 0.22 * f.box.h, w: 0.4 * f.box.w, h: 0.4 * f.box.h },
  })));
}
