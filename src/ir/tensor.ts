/** Making constant tensors and reading their values as numbers. */
import { assert } from '../errors';
import { DataType, dtypeName } from './dtype';
import type { TensorData, TensorShape, TensorValue } from './types';

export function numElements(shape: TensorShape | readonly number[]): number {
  const dims = Array.isArray(shape) ? shape : (shape as TensorShape).dims;
  return dims.reduce((n: number, d: number) => n * d, 1);
}

type TypedArrayCtor = { new (n: number): TensorData; BYTES_PER_ELEMENT: number };

/** The typed array that holds each dtype in TensorValue.data (see TensorValue). */
export function arrayTypeFor(dtype: DataType): TypedArrayCtor | undefined {
  switch (dtype) {
    case DataType.DT_FLOAT:
    case DataType.DT_COMPLEX64:
      return Float32Array;
    case DataType.DT_DOUBLE:
    case DataType.DT_COMPLEX128:
      return Float64Array;
    case DataType.DT_INT32:
    case DataType.DT_QINT32:
      return Int32Array;
    case DataType.DT_INT16:
    case DataType.DT_QINT16:
      return Int16Array;
    case DataType.DT_INT8:
    case DataType.DT_QINT8:
      return Int8Array;
    case DataType.DT_UINT8:
    case DataType.DT_QUINT8:
    case DataType.DT_BOOL:
      return Uint8Array;
    case DataType.DT_UINT16:
    case DataType.DT_QUINT16:
    case DataType.DT_HALF:
    case DataType.DT_BFLOAT16:
      return Uint16Array;
    case DataType.DT_UINT32:
      return Uint32Array;
    case DataType.DT_INT64:
      return BigInt64Array;
    case DataType.DT_UINT64:
      return BigUint64Array;
    default:
      return undefined;
  }
}

/** A new constant tensor; `data` must already be the typed array for `dtype`. */
export function makeTensor(dtype: DataType, dims: number[], data: TensorData): TensorValue {
  const expected = arrayTypeFor(dtype);
  assert(expected !== undefined && data instanceof (expected as unknown as typeof Float32Array), `makeTensor: ${dtypeName(dtype)} wants ${expected?.name}`);
  const complex = dtype === DataType.DT_COMPLEX64 || dtype === DataType.DT_COMPLEX128 ? 2 : 1;
  assert(data.length === numElements(dims) * complex, `makeTensor: ${data.length} values for shape [${dims}]`);
  return { dtype, shape: { dims: [...dims] }, data };
}

export function floatTensor(dims: number[], values: ArrayLike<number>): TensorValue {
  return makeTensor(DataType.DT_FLOAT, dims, Float32Array.from(values));
}

export function int32Tensor(dims: number[], values: ArrayLike<number>): TensorValue {
  return makeTensor(DataType.DT_INT32, dims, Int32Array.from(values));
}

/** IEEE half bits → number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The tensor's values as float32, for maths on weights of any numeric dtype
 * (half and bfloat16 are expanded from their bits).
 */
export function toFloat32(t: TensorValue): Float32Array {
  if (t.dtype === DataType.DT_FLOAT) return t.data as Float32Array;
  if (t.dtype === DataType.DT_HALF) return Float32Array.from(t.data as Uint16Array, halfToFloat);
  if (t.dtype === DataType.DT_BFLOAT16) {
    const bits = new Uint32Array((t.data as Uint16Array).length);
    (t.data as Uint16Array).forEach((b, i) => (bits[i] = b << 16));
    return new Float32Array(bits.buffer);
  }
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  return out;
}
