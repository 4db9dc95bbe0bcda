/**
 * Which TensorProto repeated field carries each dtype's values, and in what form
 * protobufjs hands them over (tensor.proto: "Only the representation corresponding to
 * dtype can be set").
 */
import { arrayTypeFor, DataType } from '../ir';
import type { TensorData } from '../ir';
import type { PbTensor } from './pb';

/** How one repeated value field's elements arrive from protobufjs. */
export type ValueKind = 'number' | 'bool' | 'i64' | 'u64' | 'bytes';

/** TensorProto fields that hold values (all but dtype, tensor_shape and version_number). */
export type ValueProp = Exclude<keyof PbTensor, 'dtype' | 'tensorShape' | 'versionNumber' | '$unknowns'>;

export interface ValueField {
  prop: ValueProp;
  kind: ValueKind;
  /** Complex dtypes store two values (re, im) per element. */
  perElement: 1 | 2;
}

/** Every value field, in field-number order (tensor_content = 4 ... uint64_val = 17). */
export const VALUE_PROPS: readonly ValueProp[] = [
  'tensorContent',
  'floatVal',
  'doubleVal',
  'intVal',
  'stringVal',
  'scomplexVal',
  'int64Val',
  'boolVal',
  'dcomplexVal',
  'halfVal',
  'resourceHandleVal',
  'variantVal',
  'uint32Val',
  'uint64Val',
];

const D = DataType;
const INT_VAL_TYPES = [D.DT_INT32, D.DT_INT16, D.DT_INT8, D.DT_UINT8, D.DT_QINT8, D.DT_QUINT8, D.DT_QINT16, D.DT_QUINT16, D.DT_QINT32, D.DT_UINT16];

const field = (prop: ValueProp, kind: ValueKind, perElement: 1 | 2 = 1): ValueField => ({ prop, kind, perElement });

const TABLE = new Map<DataType, ValueField>([
  [D.DT_FLOAT, field('floatVal', 'number')],
  [D.DT_DOUBLE, field('doubleVal', 'number')],
  ...INT_VAL_TYPES.map((t): [DataType, ValueField] => [t, field('intVal', 'number')]),
  [D.DT_HALF, field('halfVal', 'number')],
  [D.DT_BFLOAT16, field('halfVal', 'number')],
  [D.DT_STRING, field('stringVal', 'bytes')],
  [D.DT_COMPLEX64, field('scomplexVal', 'number', 2)],
  [D.DT_INT64, field('int64Val', 'i64')],
  [D.DT_BOOL, field('boolVal', 'bool')],
  [D.DT_COMPLEX128, field('dcomplexVal', 'number', 2)],
  [D.DT_UINT32, field('uint32Val', 'number')],
  [D.DT_UINT64, field('uint64Val', 'u64')],
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
