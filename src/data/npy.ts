/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0), the common way Python users hand
 * calibration inputs over. Pure TypeScript on typed arrays: no tfjs here.
 * Format: "\x93NUMPY", major, minor, header length (uint16 LE for v1, uint32 LE for v2/v3),
 * then a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and ended by '\n', then the raw C-order data.
 */
import { AmctError, FileFormatError } from '../errors';
import { parseNpyHeader } from './npy-header';
import type { NpyHeader } from './npy-header';
import { mkdir, open } from 'fs/promises';
import { dirname, resolve } from 'path';
import { readBytes, writeFileAtomic } from './fsio';

export type NpyDtype = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'bool';
export type NpyData =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array;

export interface NpyArray {
  data: NpyData;
  shape: number[];
  dtype: NpyDtype;
}

interface DtypeInfo {
  dtype: NpyDtype;
  size: number;
  make: (buffer: ArrayBuffer, length: number) => NpyData;
}

/** Keyed by the descr's kind+size ('f4'); the byte-order prefix is handled apart. */
const DTYPES: Record<string, DtypeInfo> = {
  f4: { dtype: 'float32', size: 4, make: (b, n) => new Float32Array(b, 0, n) },
  f8: { dtype: 'float64', size: 8, make: (b, n) => new Float64Array(b, 0, n) },
  i4: { dtype: 'int32', size: 4, make: (b, n) => new Int32Array(b, 0, n) },
  i8: { dtype: 'int64', size: 8, make: (b, n) => new BigInt64Array(b, 0, n) },
  u1: { dtype: 'uint8', size: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  i1: { dtype: 'int8', size: 1, make: (b, n) => new Int8Array(b, 0, n) },
  u2: { dtype: 'uint16', size: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  i2: { dtype: 'int16', size: 2, make: (b, n) => new Int16Array(b, 0, n) },
  b1: { dtype: 'bool', size: 1, make: (b, n) => new Uint8Array(b, 0, n) },
};

const DESCR_OF: Record<NpyDtype, string> = {
  float32: '<f4',
  float64: '<f8',
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
  int8: '|i1',
  uint16: '<u2',
  int16: '<i2',
  bool: '|b1',
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function malformed(file: string | undefined, what: string, hint?: string): FileFormatError {
  return new FileFormatError('UNSUPPORTED_FORMAT', `not a valid .npy file: ${what}`, {
    file,
    hint: hint ?? 'write the file with numpy.save(path, array)',
  });
}

/** Reads a .npy file from a path, or decodes its bytes (`file` then only names it in errors). */
export async function readNpy(source: string | Uint8Array, file?: string): Promise<NpyArray> {
  if (typeof source !== 'string') return decodeNpy(source, file);
  return decodeNpy(await readBytes(source), source);
}

/** The header of `bytes` (a whole file, or only its start) and where the data begins. */
function decodeHeader(bytes: Uint8Array, file?: string): { header: NpyHeader; offset: number } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw malformed(file, 'missing the \\x93NUMPY magic');
  const major = bytes[6];
  if (major < 1 || major > 3) throw malformed(file, `unknown format version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw malformed(file, 'truncated header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + headerLen > bytes.length) throw malformed(file, 'header length runs past the end of the file');
  // v3 allows UTF-8 in the header (structured field names); v1/v2 are latin1.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  return { header: parseNpyHeader(text, (what) => malformed(file, what)), offset: start + headerLen };
}

/**
 * The shape and dtype of a .npy file from its header alone (the first bytes), to count
 * samples before reading any data.
 */
export async function readNpyHeader(file: string): Promise<NpyHeader> {
  const handle = await open(file, 'r').catch((e) => {
    throw new FileFormatError(e?.code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_READ_FAILED', `cannot read .npy file: ${e instanceof Error ? e.message : String(e)}`, { file, cause: e });
  });
  try {
    const head = new Uint8Array(12);
    const { bytesRead } = await handle.read(head, 0, 12, 0);
    const major = head[6];
    const headerLen = bytesRead < 12 ? 0 : major === 1 ? head[8] | (head[9] << 8) : new DataView(head.buffer).getUint32(8, true);
    const prefix = new Uint8Array(Math.min(12 + headerLen, 12 + (1 << 24)));
    const got = await handle.read(prefix, 0, prefix.length, 0);
    return decodeHeader(prefix.subarray(0, got.bytesRead), file).header;
  } finally {
    await handle.close();
  }
}

export function decodeNpy(bytes: Uint8Array, file?: string): NpyArray {
  const { header, offset } = decodeHeader(bytes, file);
  if (header.fortranOrder) {
    throw new FileFormatError('UNSUPPORTED_FORMAT', 'Fortran-ordered .npy arrays are not supported', {
      file,
      hint: 'save a C-ordered copy: numpy.save(path, numpy.ascontiguousarray(array))',
    });
  }
  const { info, bigEndian } = dtypeOf(header.descr, file);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const expected = count * info.size;
  if (bytes.length - offset !== expected) {
    throw malformed(file, `shape (${header.shape.join(', ')}) of ${header.descr} needs ${expected} data bytes, found ${bytes.length - offset}`,
      'the file is truncated or corrupt; write it again with numpy.save');
  }
  // A copy gives a buffer aligned for the typed array, whatever the header length was.
  const copy = Uint8Array.prototype.slice.call(bytes, offset, offset + expected) as Uint8Array;
  if (bigEndian && info.size > 1) swapBytes(copy, info.size);
  return { data: info.make(copy.buffer as ArrayBuffer, count), shape: header.shape, dtype: info.dtype };
}

function dtypeOf(descr: string, file?: string): { info: DtypeInfo; bigEndian: boolean } {
  const m = /^([<>|=])?([a-z]\d+)$/.exec(descr);
  const info = m ? DTYPES[m[2]] : undefined;
  if (!m || !info) {
    throw new FileFormatError('UNSUPPORTED_DTYPE', `.npy dtype '${descr}' is not supported`, {
      file,
      hint: `convert it with array.astype(numpy.float32); supported: ${Object.values(DESCR_OF).join(' ')} (and big-endian forms)`,
    });
  }
  return { info, bigEndian: m[1] === '>' };
}

/** Big-endian files are converted in place so callers always see host (little-endian) order. */
function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Encodes an array as .npy bytes: version 1.0, or 2.0 when the header needs more than 64 KiB. */
export function encodeNpy(array: NpyArray): Uint8Array {
  const dtype = array.dtype;
  const size = DTYPES[DESCR_OF[dtype].slice(1)].size;
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (array.data.length !== count) {
    throw new AmctError('INVALID_ARGUMENT', `data has ${array.data.length} elements but shape [${array.shape.join(', ')}] needs ${count}`, {
      hint: 'pass a shape whose product is the data length',
    });
  }
  if (array.data.BYTES_PER_ELEMENT !== size) {
    throw new AmctError('INVALID_ARGUMENT', `a ${array.data.constructor.name} cannot hold dtype ${dtype}`, {
      hint: 'pass the typed array that matches the dtype (e.g. Float32Array for float32)',
    });
  }
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  // Same bytes as numpy.save: room for the first axis to grow to 21 digits in place, then
  // padding so the data starts on a 64-byte boundary.
  const growth = array.shape.length > 0 ? ' '.repeat(Math.max(0, 21 - String(array.shape[0]).length)) : '';
  const dict = `{'descr': '${DESCR_OF[dtype]}', 'fortran_order': False, 'shape': ${shape}, }${growth}`;
  const major = dict.length + 1 + 10 + 64 > 0xffff ? 2 : 1;
  const prefix = major === 1 ? 10 : 12;
  const headerLen = dict.length + 1 + (64 - ((dict.length + 1 + prefix) % 64));
  const total = prefix + headerLen;
  const out = new Uint8Array(total + count * size);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';
  out.set(Buffer.from(header, 'latin1'), prefix);
  out.set(new Uint8Array(array.data.buffer, array.data.byteOffset, count * size), total);
  return out;
}

/** Writes a .npy file atomically (temp file + rename), creating its folder (dumps go to new folders). */
export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  await writeFileAtomic(path, encodeNpy(array));
}
