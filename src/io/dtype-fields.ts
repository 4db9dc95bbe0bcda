/**
 * Which TensorProto repeated field carries each dtype's values, and how those values
 * are encoded on the wire (tensor.proto: "Only the representation corresponding to
 * dtype can be set").
 */
import { arrayTypeFor, DataType } from '../ir';
import type { TensorData } from '../ir';

/** Wire representation of one repeated value field. */
export type ValueKind = 'f32' | 'f64' | 'i32' | 'u32' | 'i64' | 'u64' | 'bool' | 'bytes';

export interface ValueField {
  field: number;
  kind: ValueKind;
  /** Complex dtypes store two values (re, im) per element. */
  perElement: 1 | 2;
}

export const FIELD = {
  dtype: 1,
  shape: 2,
  version: 3,
  content: 4,
  float: 5,
  double: 6,
  int: 7,
  string: 8,
  scomplex: 9,
  int64: 10,
  bool: 11,
  dcomplex: 12,
  half: 13,
  resource: 14,
  variant: 15,
  uint32: 16,
  uint64: 17,
} as const;

const D = DataType;
const INT_VAL_TYPES = [D.DT_INT32, D.DT_INT16, D.DT_INT8, D.DT_UINT8, D.DT_QINT8, D.DT_QUINT8, D.DT_QINT16, D.DT_QUINT16, D.DT_QINT32, D.DT_UINT16];

const TABLE = new Map<DataType, ValueField>([
  [D.DT_FLOAT, { field: FIELD.float, kind: 'f32', perElement: 1 }],
  [D.DT_DOUBLE, { field: FIELD.double, kind: 'f64', perElement: 1 }],
  ...INT_VAL_TYPES.map((t): [DataType, ValueField] => [t, { field: FIELD.int, kind: 'i32', perElement: 1 }]),
  [D.DT_HALF, { field: FIELD.half, kind: 'i32', perElement: 1 }],
  [D.DT_BFLOAT16, { field: FIELD.half, kind: 'i32', perElement: 1 }],
  [D.DT_STRING, { field: FIELD.string, kind: 'bytes', perElement: 1 }],
  [D.DT_COMPLEX64, { field: FIELD.scomplex, kind: 'f32', perElement: 2 }],
  [D.DT_INT64, { field: FIELD.int64, kind: 'i64', perElement: 1 }],
  [D.DT_BOOL, { field: FIELD.bool, kind: 'bool', perElement: 1 }],
  [D.DT_COMPLEX128, { field: FIELD.dcomplex, kind: 'f64', perElement: 2 }],
  [D.DT_UINT32, { field: FIELD.uint32, kind: 'u32', perElement: 1 }],
  [D.DT_UINT64, { field: FIELD.uint64, kind: 'u64', perElement: 1 }],
]);

/** The value field of a dtype the IR models as numbers or strings; undefined otherwise. */
export function valueFieldFor(dtype: DataType): ValueField | undefined {
  return TABLE.get(dtype);
}

/** Bytes per stored value in tensor_content (complex: per element, both parts). */
export function contentBytesPerElement(dtype: DataType): number | undefined {
  const ctor = arrayTypeFor(dtype);
  if (!ctor) return undefined;
  const f = TABLE.get(dtype);
  return ctor.BYTES_PER_ELEMENT * (f?.perElement ?? 1);
}

/** A typed array of `n` values for the dtype (complex: 2 per element). */
export function allocData(dtype: DataType, values: number): TensorData {
  const ctor = arrayTypeFor(dtype)!;
  return new ctor(values);
}

/** Is `dtype` a value of TensorFlow's DataType enum at all? */
export function isKnownDtype(dtype: number): boolean {
  return typeof DataType[dtype] === 'string';
}
