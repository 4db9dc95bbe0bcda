/**
 * Raw .bin calibration files, as AMCT's command line takes them: a flat little-endian
 * array with no header, so the shape comes from the user (--input_shape) and the file size
 * is the only check we can make. A file may hold one sample or several stacked ones
 * (AMCT writes one whole batch per file).
 */
import { FileFormatError } from '../errors';
import { readBytes } from './fsio';
import { Samples, formatShape, product } from './types';

export type BinDtype = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'int8' | 'uint16' | 'int16';

const READERS: Record<BinDtype, { size: number; get: (v: DataView, at: number) => number }> = {
  float32: { size: 4, get: (v, at) => v.getFloat32(at, true) },
  float64: { size: 8, get: (v, at) => v.getFloat64(at, true) },
  int32: { size: 4, get: (v, at) => v.getInt32(at, true) },
  int64: { size: 8, get: (v, at) => Number(v.getBigInt64(at, true)) },
  uint8: { size: 1, get: (v, at) => v.getUint8(at) },
  int8: { size: 1, get: (v, at) => v.getInt8(at) },
  uint16: { size: 2, get: (v, at) => v.getUint16(at, true) },
  int16: { size: 2, get: (v, at) => v.getInt16(at, true) },
};

export const BIN_DTYPES = Object.keys(READERS) as BinDtype[];

export function binElementSize(dtype: BinDtype): number {
  return READERS[dtype].size;
}

export function isBinDtype(s: string): s is BinDtype {
  return s in READERS;
}

/** Decodes .bin bytes holding whole samples of `sampleShape` into float32. */
export function decodeBin(bytes: Uint8Array, sampleShape: readonly number[], dtype: BinDtype = 'float32', file?: string): Samples {
  const reader = READERS[dtype];
  const sampleBytes = product(sampleShape) * reader.size;
  if (sampleBytes === 0 || bytes.length === 0 || bytes.length % sampleBytes !== 0) {
    throw new FileFormatError(
      'CALIBRATION_DATA_INVALID',
      `.bin file has ${bytes.length} bytes; one sample of shape ${formatShape(sampleShape)} ${dtype} is ${sampleBytes} bytes, so the size must be a non-zero multiple of ${sampleBytes}`,
      { file, hint: 'check --input_shape and --data_types against how the file was written (e.g. array.astype(numpy.float32).tofile(path))' },
    );
  }
  const count = bytes.length / sampleBytes;
  const n = count * product(sampleShape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = reader.get(view, i * reader.size);
  return { data, shape: [count, ...sampleShape] };
}

export async function readBin(file: string, sampleShape: readonly number[], dtype: BinDtype = 'float32'): Promise<Samples> {
  return decodeBin(await readBytes(file), sampleShape, dtype, file);
}
