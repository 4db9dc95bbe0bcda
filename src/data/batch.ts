/**
 * Loaders that turn one calibration file into float32 samples, and the batcher that
 * stacks samples from consecutive files into fixed-size batches.
 */
import { AmctError, FileFormatError, describe } from '../errors';
import { BinDtype, readBin } from './bin';
import { readImage } from './image';
import { NpyArray, readNpy } from './npy';
import { ImagePreprocess, preprocessImage } from './transform';
import { Batch, SampleLoader, Samples, formatShape, product } from './types';

export function imageLoader(pre: ImagePreprocess = {}): SampleLoader {
  return async (file) => {
    const img = preprocessImage(await readImage(file), pre);
    return { data: img.data, shape: [1, img.height, img.width, img.channels] };
  };
}

function toFloat32(a: NpyArray): Float32Array {
  if (a.data instanceof Float32Array) return a.data;
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(a.data[i]);
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * .npy files: with a sample shape, an array of exactly that shape is one sample and one of
 * [k, ...sampleShape] is k samples; without, the whole array is one sample.
 */
export function npyLoader(sampleShape?: readonly number[]): SampleLoader {
  return async (file) => {
    const a = await readNpy(file);
    const data = toFloat32(a);
    if (!sampleShape) return { data, shape: [1, ...a.shape] };
    if (sameShape(a.shape, sampleShape)) return { data, shape: [1, ...a.shape] };
    if (a.shape.length === sampleShape.length + 1 && sameShape(a.shape.slice(1), sampleShape)) return { data, shape: a.shape };
    throw new FileFormatError('CALIBRATION_DATA_INVALID', `.npy array of shape ${formatShape(a.shape)} does not hold samples of shape ${formatShape(sampleShape)}`, {
      file,
      hint: `save arrays of shape ${formatShape(sampleShape)} or [count,${sampleShape.join(',')}], matching --input_shape`,
    });
  };
}

export function binLoader(sampleShape: readonly number[], dtype: BinDtype = 'float32'): SampleLoader {
  return (file) => readBin(file, sampleShape, dtype);
}

/** Runs the loader; anything that is not already a typed error is wrapped to name the file. */
async function load(loader: SampleLoader, file: string): Promise<Samples> {
  try {
    return await loader(file);
  } catch (e) {
    if (e instanceof AmctError) throw e;
    throw new FileFormatError('FILE_READ_FAILED', `cannot load calibration file: ${describe(e)}`, {
      file,
      hint: 'check that the file is a valid image or array, or remove it from the data folder',
      cause: e,
    });
  }
}

export interface BatchOptions {
  /** Also yield a last, smaller batch; off by default since most graphs fix the batch size. */
  keepRemainder?: boolean;
}

/** Stacks the files' samples, in order, into batches of `batchSize` along a new axis 0. */
export async function* makeBatches(
  files: readonly string[],
  batchSize: number,
  loader: SampleLoader,
  options: BatchOptions = {},
): AsyncGenerator<Batch> {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new AmctError('INVALID_ARGUMENT', `batch size ${batchSize} must be a positive integer`, { hint: 'e.g. --batch_size 8' });
  }
  let sampleShape: number[] | undefined;
  let firstFile = '';
  let buffer = new Float32Array(0);
  let filled = 0;
  for (const file of files) {
    const s = await load(loader, file);
    const shape = s.shape.slice(1);
    if (!sampleShape) {
      sampleShape = shape;
      firstFile = file;
      buffer = new Float32Array(batchSize * product(shape));
    } else if (!sameShape(shape, sampleShape)) {
      throw new FileFormatError('CALIBRATION_DATA_INVALID', `sample shape ${formatShape(shape)} differs from ${formatShape(sampleShape)} of ${firstFile}`, {
        file,
        hint: 'all calibration inputs must have one shape; for images, set --resize',
      });
    }
    const size = product(sampleShape);
    for (let k = 0; k < s.shape[0]; k++) {
      buffer.set(s.data.subarray(k * size, (k + 1) * size), filled * size);
      if (++filled === batchSize) {
        yield { data: buffer, shape: [batchSize, ...sampleShape] };
        buffer = new Float32Array(batchSize * size);
        filled = 0;
      }
    }
  }
  if (options.keepRemainder && filled > 0 && sampleShape) {
    yield { data: buffer.slice(0, filled * product(sampleShape)), shape: [filled, ...sampleShape] };
  }
}
