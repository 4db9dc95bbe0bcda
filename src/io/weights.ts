/**
 * TensorFlow.js weight shards: the bytes behind model.json's weightsManifest, read the
 * way @tensorflow/tfjs-core's decodeWeights reads them (specs back to back; affine
 * uint8/uint16 quantization v = q·scale + min; float16 stored as half bits; strings as
 * uint32 little-endian length + bytes).
 */
import { FileFormatError } from '../errors';
import { halfToFloat, numElements } from '../ir';
import type { ErrorContext } from '../errors';

export type TfjsDtype = 'float32' | 'int32' | 'bool' | 'string' | 'complex64' | 'float16';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number; original_dtype?: string };
  group?: string;
}

/** One decoded weight: values in tfjs's own form, plus the stored half bits for float16. */
export interface DecodedWeight {
  spec: WeightSpec;
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  values: Float32Array | Int32Array | Uint8Array;
  strings?: Uint8Array[];
  /** Raw half bits when the weight was stored as float16 (so a DT_HALF node keeps them exactly). */
  halfBits?: Uint16Array;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, float16: 2, uint8: 1, uint16: 2 };

let halfTable: Float32Array | undefined;
/** All 65536 half values as float32, built once: decoding big float16 shards stays linear. */
function halfToFloat32(bits: Uint16Array): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = halfToFloat(i);
  }
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfTable[bits[i]];
  return out;
}

export function checkSpec(spec: unknown, ctx: ErrorContext): WeightSpec {
  const s = spec as WeightSpec;
  const ok =
    s !== null && typeof s === 'object' && typeof s.name === 'string' && typeof s.dtype === 'string' &&
    Array.isArray(s.shape) && s.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
  if (!ok) {
    throw new FileFormatError('MODEL_JSON_MALFORMED', `weightsManifest has an invalid weight entry ${JSON.stringify(spec)?.slice(0, 200)}`, {
      ...ctx,
      hint: 'each weight needs a name, a dtype and a shape of non-negative integers',
    });
  }
  return s;
}

/** Bytes of the shard data a spec occupies, starting at `offset`. */
function specBytes(spec: WeightSpec, data: Uint8Array, offset: number, ctx: ErrorContext): number {
  const count = numElements(spec.shape);
  const q = spec.quantization;
  if (q) {
    if (!['uint8', 'uint16', 'float16'].includes(q.dtype)) {
      throw new FileFormatError('UNSUPPORTED_DTYPE', `weight ${spec.name} uses unknown quantization dtype "${q.dtype}"`, { ...ctx, node: spec.name, hint: 'tfjs quantization is uint8, uint16 or float16' });
    }
    return count * BYTES[q.dtype];
  }
  if (spec.dtype === 'string') {
    let n = 0;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < count; i++) {
      if (offset + n + 4 > data.length) return n + 4; // reported as short by the caller
      n += 4 + view.getUint32(offset + n, true);
    }
    return n;
  }
  const per = BYTES[spec.dtype];
  if (per === undefined || spec.dtype === 'uint8' || spec.dtype === 'uint16') {
    throw new FileFormatError('UNSUPPORTED_DTYPE', `weight ${spec.name} has unsupported dtype "${spec.dtype}"`, {
      ...ctx,
      node: spec.name,
      hint: 'TensorFlow.js weights are float32, int32, bool, string or complex64 (optionally quantized)',
    });
  }
  return count * per;
}

/** Decodes the weights of `specs` laid back to back in `data` (one manifest group, or all). */
export function decodeWeights(specs: WeightSpec[], data: Uint8Array, ctx: ErrorContext & { shards?: string }): Map<string, DecodedWeight> {
  const out = new Map<string, DecodedWeight>();
  let offset = 0;
  for (const spec of specs) {
    const n = specBytes(spec, data, offset, ctx);
    if (offset + n > data.length) {
      throw new FileFormatError('WEIGHTS_SHORT', `weight data ends at byte ${data.length} but weight ${spec.name} needs bytes ${offset}..${offset + n}`, {
        ...ctx,
        node: spec.name,
        hint: `the weight shard${ctx.shards ? ` (${ctx.shards})` : ''} is truncated or belongs to another model; download it again`,
      });
    }
    // Copy: the weights outlive the shard buffers, and typed arrays need aligned offsets.
    const own = new Uint8Array(n); // Buffer#slice would share memory; typed views need offset 0
    own.set(data.subarray(offset, offset + n));
    out.set(spec.name, decodeOne(spec, own, ctx));
    offset += n;
  }
  return out;
}

function decodeOne(spec: WeightSpec, bytes: Uint8Array, ctx: ErrorContext): DecodedWeight {
  const q = spec.quantization;
  if (q) return dequantize(spec, bytes, ctx);
  switch (spec.dtype) {
    case 'float32':
    case 'complex64':
      return { spec, dtype: spec.dtype, values: new Float32Array(bytes.buffer) };
    case 'int32':
      return { spec, dtype: 'int32', values: new Int32Array(bytes.buffer) };
    case 'bool':
      return { spec, dtype: 'bool', values: bytes };
    case 'float16': {
      const halfBits = new Uint16Array(bytes.buffer);
      return { spec, dtype: 'float32', values: halfToFloat32(halfBits), halfBits };
    }
    default:
      return { spec, dtype: 'string', values: new Uint8Array(0), strings: readStrings(bytes, numElements(spec.shape)) };
  }
}

function readStrings(bytes: Uint8Array, count: number): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let o = 0;
  for (let i = 0; i < count; i++) {
    const n = view.getUint32(o, true);
    out.push(bytes.slice(o + 4, o + 4 + n));
    o += 4 + n;
  }
  return out;
}

function dequantize(spec: WeightSpec, bytes: Uint8Array, ctx: ErrorContext): DecodedWeight {
  const q = spec.quantization!;
  if (q.dtype === 'float16') {
    if (spec.dtype !== 'float32') throw badQuant(spec, 'float16 quantization applies only to float32 weights', ctx);
    const halfBits = new Uint16Array(bytes.buffer);
    return { spec, dtype: 'float32', values: halfToFloat32(halfBits), halfBits };
  }
  if (typeof q.min !== 'number' || typeof q.scale !== 'number' || !Number.isFinite(q.min) || !Number.isFinite(q.scale)) {
    throw badQuant(spec, `${q.dtype} quantization needs numeric "min" and "scale"`, ctx);
  }
  const quantized = q.dtype === 'uint8' ? bytes : new Uint16Array(bytes.buffer);
  const { min, scale } = q;
  if (spec.dtype === 'float32') {
    const values = new Float32Array(quantized.length);
    for (let i = 0; i < quantized.length; i++) values[i] = quantized[i] * scale + min;
    return { spec, dtype: 'float32', values };
  }
  if (spec.dtype === 'int32') {
    const values = new Int32Array(quantized.length);
    for (let i = 0; i < quantized.length; i++) values[i] = Math.round(quantized[i] * scale + min);
    return { spec, dtype: 'int32', values };
  }
  throw badQuant(spec, `${q.dtype} quantization applies only to float32 or int32 weights, not ${spec.dtype}`, ctx);
}

function badQuant(spec: WeightSpec, message: string, ctx: ErrorContext): FileFormatError {
  return new FileFormatError('MODEL_JSON_MALFORMED', `weight ${spec.name}: ${message}`, { ...ctx, node: spec.name, hint: 'the weightsManifest entry is inconsistent; re-convert the model' });
}
