/**
 * Real photos for calibration and held-out comparison, from the devDependencies.
 *
 * Calibration always comes from @vladmandic/face-api's six demo photos; held-out inputs
 * are different crops of those photos plus different pictures (@vladmandic/human's
 * assets). A crop is a deterministic box (and optional mirror), so every run feeds the
 * same pixels and the numbers in docs/accuracy.md reproduce.
 */
import * as path from 'path';
import { cropRegion, flipHorizontal, Image, readImage, resizeBilinear } from '../../src/data';

const FACE_API_DEMO = path.join(path.dirname(require.resolve('@vladmandic/face-api')), '..', 'demo');
const HUMAN_ASSETS = path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'assets');

/** face-api's demo photos sample1..6.jpg: the calibration pictures. */
export const CALIBRATION_PHOTOS = [1, 2, 3, 4, 5, 6].map((i) => path.join(FACE_API_DEMO, `sample${i}.jpg`));

/** human's assets: pictures never used for calibration. */
export const HUMAN_PHOTOS = {
  samples: path.join(HUMAN_ASSETS, 'samples.jpg'),
  facematch: path.join(HUMAN_ASSETS, 'screenshot-facematch.jpg'),
  facedetect: path.join(HUMAN_ASSETS, 'screenshot-facedetect.jpg'),
  vrm: path.join(HUMAN_ASSETS, 'screenshot-vrm.jpg'),
};

/** A box as fractions of the photo's width (x, w) and height (y, h). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Crop {
  photo: string;
  box: Box;
  flip?: boolean;
}

export const FULL: Box = { x: 0, y: 0, w: 1, h: 1 };

const cache = new Map<string, Promise<Image>>();

/** Decoding a 1920-pixel JPEG in JavaScript takes a while: each photo is decoded once. */
export function loadPhoto(file: string): Promise<Image> {
  let img = cache.get(file);
  if (!img) {
    img = readImage(file);
    cache.set(file, img);
  }
  return img;
}

/** The pixels inside `box`, rounded to whole pixels and kept inside the photo. */
export function cropBox(img: Image, box: Box): Image {
  const x0 = clamp(Math.round(box.x * img.width), 0, img.width - 1);
  const y0 = clamp(Math.round(box.y * img.height), 0, img.height - 1);
  const w = clamp(Math.round(box.w * img.width), 1, img.width - x0);
  const h = clamp(Math.round(box.h * img.height), 1, img.height - y0);
  return cropRegion(img, y0, x0, h, w);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** One crop: box → resize to the model's input (squashing, as nsfwjs and human do) → mirror. */
export async function cropImage(crop: Crop, height: number, width: number): Promise<Image> {
  const img = resizeBilinear(cropBox(await loadPhoto(crop.photo), crop.box), height, width);
  return crop.flip ? flipHorizontal(img) : img;
}

/**
 * Crops stacked into one NHWC batch. `toInput` maps a 0..255 RGB image to the model's
 * input (value range, channels), so the same crops serve every model.
 */
export async function cropBatch(crops: Crop[], height: number, width: number, toInput: (img: Image) => Image): Promise<{ data: Float32Array; shape: number[] }> {
  const images: Image[] = [];
  for (const c of crops) images.push(toInput(await cropImage(c, height, width)));
  const channels = images[0].channels;
  const data = new Float32Array(crops.length * height * width * channels);
  images.forEach((img, i) => data.set(img.data, i * img.data.length));
  return { data, shape: [crops.length, height, width, channels] };
}

/** Every combination of photos × boxes, mirrored where `flip(i)` says; photo-major. */
export function crossCrops(photos: string[], boxes: Box[], flip: (i: number) => boolean): Crop[] {
  const out: Crop[] = [];
  for (const photo of photos) for (const box of boxes) out.push({ photo, box, flip: flip(out.length) });
  return out;
}
