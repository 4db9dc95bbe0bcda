/**
 * JPEG and PNG decoding to float32 RGB, height × width × 3 (HWC), values 0..255.
 * Pure JavaScript decoders (jpeg-js, pngjs) so the CLI works without native modules.
 * The format is told by the file's magic bytes, not its extension, so a mislabelled
 * file still decodes and a truncated one gets a clear error.
 */
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { FileFormatError, describe } from '../errors';
import { readBytes } from './fsio';

/** A float32 image, row-major HWC. */
export interface Image {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

export type ImageFormat = 'jpeg' | 'png';

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return 'png';
  return undefined;
}

/** Copies 8-bit pixels with `stride` bytes each into float RGB, dropping alpha. */
function toRgbFloat(pixels: Uint8Array, width: number, height: number, stride: number): Image {
  const n = width * height;
  const data = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = pixels[i * stride];
    data[i * 3 + 1] = pixels[i * stride + 1];
    data[i * 3 + 2] = pixels[i * stride + 2];
  }
  return { data, height, width, channels: 3 };
}

export function decodeImage(bytes: Uint8Array, file?: string): Image {
  const format = sniffImageFormat(bytes);
  if (!format) {
    throw new FileFormatError('UNSUPPORTED_FORMAT', 'not a JPEG or PNG image', {
      file,
      hint: 'calibration images must be JPEG or PNG; convert others, or remove the file from the data folder',
    });
  }
  try {
    if (format === 'jpeg') {
      // Grayscale and CMYK JPEGs come out as RGB too (jpeg-js converts them).
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
      return toRgbFloat(img.data, img.width, img.height, 3);
    }
    // pngjs normalises every colour type and bit depth to 8-bit RGBA.
    const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return toRgbFloat(img.data, img.width, img.height, 4);
  } catch (e) {
    throw new FileFormatError('UNSUPPORTED_FORMAT', `cannot decode ${format === 'jpeg' ? 'JPEG' : 'PNG'} image: ${describe(e)}`, {
      file,
      hint: 'the file is truncated or corrupt; re-export it or remove it from the data folder',
      cause: e,
    });
  }
}

export async function readImage(file: string): Promise<Image> {
  return decodeImage(await readBytes(file), file);
}
