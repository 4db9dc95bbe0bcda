/**
 * Raw feed values ({ data, shape, dtype? }) checked and converted to what tf.tensor
 * takes, so that a wrong container or element type is a FEED_DTYPE_MISMATCH naming the
 * placeholder instead of a tfjs error (Float64Array) or silent NaNs (strings read as
 * floats, reported much later as "NaN in calibration data").
 *
 * Float64Array feeds are converted to float32 (tfjs has no float64; the placeholder's
 * DT_DOUBLE or DT_FLOAT runs as float32 anyway), with a note logged once per placeholder.
 */
import { SessionError } from '../errors';
import type { NodeDef } from '../ir';
import { log } from '../log';
import { tf } from './tfjs';

const TFJS_DTYPES: readonly string[] = ['float32', 'int32', 'bool', 'string', 'complex64'];

export interface RawFeed {
  shape: number[];
  dtype: tf.DataType;
  values: tf.TensorLike;
}

function dtypeError(node: NodeDef, message: string, hint: string): SessionError {
  return new SessionError('FEED_DTYPE_MISMATCH', message, { node: node.name, hint });
}

function shapeError(node: NodeDef, message: string, hint: string): SessionError {
  return new SessionError('FEED_SHAPE_MISMATCH', message, { node: node.name, hint });
}

function checkShapeArray(node: NodeDef, name: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw shapeError(node, `feed "${name}" has an invalid shape ${safeJson(shape)}`, 'give the shape as an array of non-negative integers');
  }
  return shape as number[];
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v)?.slice(0, 80) ?? String(v);
  } catch {
    return String(v);
  }
}

/** What kind of values a plain array holds, checked element by element (first offender named). */
function arrayKind(node: NodeDef, name: string, data: unknown[]): 'number' | 'boolean' | 'string' {
  const first = typeof data[0];
  const kind = first === 'boolean' || first === 'string' ? first : 'number';
  for (let i = 0; i < data.length; i++) {
    if (typeof data[i] !== kind) {
      throw dtypeError(node, `feed "${name}" mixes element types: value ${i} is ${describeValue(data[i])} among ${kind}s`,
        'give one element type: numbers (or a typed array), booleans, or strings for a string placeholder');
    }
  }
  return kind;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string ${safeJson(v.slice(0, 20))}`;
  return typeof v;
}

/** Element kind of the container, or undefined when it is not one a feed can be. */
function containerKind(data: unknown): 'float64' | 'int32' | 'float32' | 'widen' | 'bigint' | 'uint8' | 'array' | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array || data instanceof Int16Array || data instanceof Uint16Array || data instanceof Uint32Array || data instanceof Uint8ClampedArray) return 'widen';
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return 'bigint';
  if (Array.isArray(data)) return 'array';
  return undefined;
}

/** The dtype the feed runs as: its own, else the placeholder's, else what the data holds. */
function resolveDtype(node: NodeDef, name: string, given: unknown, want: tf.DataType | undefined, inferred: tf.DataType): tf.DataType {
  if (given === undefined) return want ?? inferred;
  if (typeof given !== 'string' || !TFJS_DTYPES.includes(given)) {
    throw dtypeError(node, `feed "${name}" has dtype ${safeJson(given)}, which TensorFlow.js does not have`, `use one of ${TFJS_DTYPES.join(', ')}, or leave dtype out`);
  }
  if (given === 'complex64') {
    throw dtypeError(node, `feed "${name}" asks for complex64, which tfjs cannot build from one array`, 'feed a tensor made with tf.complex(real, imag)');
  }
  return given as tf.DataType;
}

/** Checks a raw feed against its placeholder's dtype (`want`) and returns what tf.tensor takes. */
export function checkRawFeed(node: NodeDef, name: string, value: unknown, want: tf.DataType | undefined): RawFeed {
  if (value === null || typeof value !== 'object' || !('data' in value) || !('shape' in value)) {
    throw shapeError(node, `feed "${name}" is neither a tf.Tensor nor { data, shape }`, 'give a tensor, or { data: Float32Array | Int32Array | number[] ..., shape: number[] }');
  }
  const { data, shape: rawShape, dtype: given } = value as { data: unknown; shape: unknown; dtype?: unknown };
  const shape = checkShapeArray(node, name, rawShape);
  const kind = containerKind(data);
  if (kind === undefined) {
    throw dtypeError(node, `feed "${name}" holds ${typeof data === 'string' ? 'a string' : describeValue(data)} as its data, not an array of values`,
      'give the values as a typed array (Float32Array, Int32Array, ...) or a plain array');
  }
  const list = data as ArrayLike<unknown>;
  const count = shape.reduce((a, b) => a * b, 1);
  if (list.length !== count) {
    throw shapeError(node, `feed "${name}" has ${list.length} values for shape [${shape}] (${count} values)`, 'the data must hold exactly one value per element of the shape, row-major');
  }
  const elements = kind === 'array' ? arrayKind(node, name, data as unknown[]) : 'number';
  const inferred: tf.DataType = elements === 'boolean' ? 'bool' : elements === 'string' ? 'string' : kind === 'int32' ? 'int32' : 'float32';
  const dtype = resolveDtype(node, name, given, want, inferred);
  if ((elements === 'string') !== (dtype === 'string')) {
    const holds = elements === 'string' ? 'strings' : `${kind === 'array' ? elements : kind} values`;
    throw dtypeError(node, `feed "${name}" holds ${holds}, but ${want !== undefined ? `placeholder ${node.name} is ${want}` : `its dtype is ${dtype}`}`,
      elements === 'string' ? 'decode the data to numbers before feeding it (e.g. images with readImage and preprocessImage)' : 'feed strings only to a string placeholder');
  }
  return { shape, dtype, values: convert(node, data, kind, dtype) };
}

function convert(node: NodeDef, data: unknown, kind: NonNullable<ReturnType<typeof containerKind>>, dtype: tf.DataType): tf.TensorLike {
  switch (kind) {
    case 'float64':
      log.once(`float64-feed:${node.name}`, 'info', `feed for ${node.name} is a Float64Array; converted to float32 (TensorFlow.js computes in float32)`);
      return dtype === 'float32' ? Float32Array.from(data as Float64Array) : Array.from(data as Float64Array);
    case 'bigint':
      return Array.from(data as BigInt64Array, Number);
    case 'widen':
      return Array.from(data as ArrayLike<number>);
    default:
      return data as tf.TensorLike;
  }
}
