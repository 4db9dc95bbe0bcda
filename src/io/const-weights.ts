/**
 * Const tensors ⇄ TensorFlow.js weights. TF.js knows float32, int32, bool, string and
 * complex64 only, so other dtypes travel as the nearest of those and come back as the
 * dtype the Const node declares: int8/uint8/int16/uint16/qint* as int32 (exact),
 * half as float16-quantized float32 (exact bits), bfloat16 as float32 (exact),
 * uint32 as int32 bit patterns, int64/uint64 as int32 when every value fits, double and
 * complex128 as float32/complex64 (rounded). Weights that tfjs stored quantized
 * (uint8/uint16 affine, float16) load as DT_FLOAT, the dequantized values TF would hold.
 */
import { FileFormatError, ErrorContext } from '../errors';
import { arrayTypeFor, DataType, dtypeName } from '../ir';
import type { TensorData, TensorValue } from '../ir';
import { log } from '../log';
import type { DecodedWeight, WeightSpec } from './weights';

const D = DataType;
const INT_LIKE = new Set([D.DT_INT32, D.DT_QINT32, D.DT_INT16, D.DT_QINT16, D.DT_INT8, D.DT_QINT8, D.DT_UINT8, D.DT_QUINT8, D.DT_UINT16, D.DT_QUINT16]);
const DEFAULT_DTYPE: Record<DecodedWeight['dtype'], DataType> = {
  float32: D.DT_FLOAT,
  int32: D.DT_INT32,
  bool: D.DT_BOOL,
  string: D.DT_STRING,
  complex64: D.DT_COMPLEX64,
};

function mismatch(w: DecodedWeight, dtype: DataType, ctx: ErrorContext): FileFormatError {
  return new FileFormatError('MODEL_JSON_MALFORMED', `weight ${w.spec.name} is stored as ${w.dtype} but its Const node declares ${dtypeName(dtype)}`, {
    ...ctx,
    node: w.spec.name,
    hint: 'the weightsManifest does not match modelTopology; re-convert the model',
  });
}

/** The tensor a Const node holds, from its weight and the dtype the node declares. */
export function weightToTensor(w: DecodedWeight, declared: DataType | undefined, ctx: ErrorContext): TensorValue {
  const dtype = declared ?? DEFAULT_DTYPE[w.dtype];
  const shape = { dims: [...w.spec.shape] };
  if (w.dtype === 'string') {
    if (dtype !== D.DT_STRING) throw mismatch(w, dtype, ctx);
    return { dtype, shape, data: new Uint8Array(0), strings: w.strings };
  }
  const data = convert(w, dtype);
  if (!data) throw mismatch(w, dtype, ctx);
  return { dtype, shape, data };
}

function convert(w: DecodedWeight, dtype: DataType): TensorData | undefined {
  const v = w.values;
  if (w.dtype === 'float32') {
    if (dtype === D.DT_FLOAT) return v;
    if (dtype === D.DT_HALF) return w.halfBits ?? Uint16Array.from(v, floatToHalfBits);
    if (dtype === D.DT_BFLOAT16) return floatToBfloat16(v as Float32Array);
    if (dtype === D.DT_DOUBLE) return Float64Array.from(v);
    return undefined;
  }
  if (w.dtype === 'complex64') {
    if (dtype === D.DT_COMPLEX64) return v;
    return dtype === D.DT_COMPLEX128 ? Float64Array.from(v) : undefined;
  }
  if (w.dtype === 'bool') return dtype === D.DT_BOOL ? v : undefined;
  // int32
  if (INT_LIKE.has(dtype)) {
    const out = new (arrayTypeFor(dtype) as unknown as Int32ArrayConstructor)(v.length);
    out.set(v);
    for (let i = 0; i < v.length; i++) if (out[i] !== v[i]) return undefined; // out of the dtype's range
    return out;
  }
  if (dtype === D.DT_UINT32) return new Uint32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  if (dtype === D.DT_INT64) return BigInt64Array.from(v, (x) => BigInt(x));
  if (dtype === D.DT_UINT64) return (v as Int32Array).every((x) => x >= 0) ? BigUint64Array.from(v, (x) => BigInt(x)) : undefined;
  return undefined;
}

/** float32 → IEEE half bits, round to nearest even (for DT_HALF nodes fed from float32 weights). */
export function floatToHalfBits(x: number): number {
  const f = new Float32Array([x]);
  const b = new Uint32Array(f.buffer)[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rem > mid || (rem === mid && (half & 1)) ? 1 : 0));
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++; // a carry may round up to infinity, as it should
  return sign | half;
}

function floatToBfloat16(v: Float32Array): Uint16Array {
  const bits = new Uint32Array(v.buffer, v.byteOffset, v.length);
  const out = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const b = bits[i];
    out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16; // round to nearest even
  }
  return out;
}

/** A weight ready to write: its manifest entry and its bytes. */
export interface EncodedWeight {
  spec: WeightSpec;
  bytes: Uint8Array;
}

const bytesOf = (d: TensorData) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

function unsupported(name: string, dtype: DataType, why: string): FileFormatError {
  return new FileFormatError('UNSUPPORTED_DTYPE', `Const ${name} (${dtypeName(dtype)}) cannot be stored as a TensorFlow.js weight: ${why}`, {
    node: name,
    hint: 'save the graph as a frozen .pb instead, or translate the constant (graphToArtifacts mapConst option)',
  });
}

/** The tfjs weight for a Const tensor (see the module comment for the dtype mapping). */
export function tensorToWeight(name: string, t: TensorValue): EncodedWeight {
  const shape = [...t.shape.dims];
  const spec = (dtype: string, quantization?: WeightSpec['quantization']): WeightSpec => ({ name, shape, dtype, ...(quantization ? { quantization } : {}) });
  const d = t.data;
  switch (t.dtype) {
    case D.DT_FLOAT:
      return { spec: spec('float32'), bytes: bytesOf(d) };
    case D.DT_HALF:
      return { spec: spec('float32', { dtype: 'float16' }), bytes: bytesOf(d) };
    case D.DT_BFLOAT16:
      return { spec: spec('float32'), bytes: bytesOf(Float32Array.from(d as Uint16Array, (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0])) };
    case D.DT_DOUBLE:
      log.once('io:double-weights', 'warning', 'DT_DOUBLE constants are stored as float32 in model.json (TensorFlow.js has no float64)');
      return { spec: spec('float32'), bytes: bytesOf(Float32Array.from(d as Float64Array)) };
    case D.DT_BOOL:
      return { spec: spec('bool'), bytes: bytesOf(d) };
    case D.DT_COMPLEX64:
      return { spec: spec('complex64'), bytes: bytesOf(d) };
    case D.DT_COMPLEX128:
      return { spec: spec('complex64'), bytes: bytesOf(Float32Array.from(d as Float64Array)) };
    case D.DT_STRING:
      return { spec: spec('string'), bytes: stringBytes(t.strings ?? []) };
    case D.DT_UINT32:
      return { spec: spec('int32'), bytes: bytesOf(d) };
    case D.DT_INT64:
    case D.DT_UINT64:
      return { spec: spec('int32'), bytes: bytesOf(bigToInt32(name, t)) };
    default:
      if (INT_LIKE.has(t.dtype)) return { spec: spec('int32'), bytes: bytesOf(Int32Array.from(d as Int32Array)) };
      throw unsupported(name, t.dtype, 'TensorFlow.js has no such dtype');
  }
}

function bigToInt32(name: string, t: TensorValue): Int32Array {
  const d = t.data as BigInt64Array;
  const out = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    if (d[i] > 2147483647n || d[i] < -2147483648n) throw unsupported(name, t.dtype, `value ${d[i]} does not fit in int32`);
    out[i] = Number(d[i]);
  }
  return out;
}

function stringBytes(strings: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(strings.reduce((n, s) => n + 4 + s.length, 0));
  const view = new DataView(out.buffer);
  let o = 0;
  for (const s of strings) {
    view.setUint32(o, s.length, true);
    out.set(s, o + 4);
    o += 4 + s.length;
  }
  return out;
}
