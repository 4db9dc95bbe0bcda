/**
 * The typed repeated value fields of TensorProto (float_val, int_val, ...) ⇄ typed arrays.
 * TensorFlow may store fewer values than elements: the last stored value repeats to fill
 * the shape (none stored means zeros), so a zero tensor of shape [64] is `float_val: 0`.
 */
import type { TensorData, TensorValue } from '../ir';
import { computeDataLater } from '../ir/tensor-lazy';
import { allocData } from './dtype-fields';
import type { ValueField } from './dtype-fields';
import { FileFormatError } from '../errors';
import { bigintFromPb, CodecError, int64ToPb } from './pb';
import type { PbInt64, PbTensor } from './pb';

/**
 * Puts the values protobufjs decoded into `t.data` (or `t.strings`), expanded to `count`
 * elements; returns how many values were stored.
 */
export function readValues(vf: ValueField, stored: ArrayLike<unknown> | undefined, count: number, t: TensorValue, limits: LazyLimits): number {
  const values = stored ?? [];
  const total = count * vf.perElement;
  checkStored(values.length, total);
  if (vf.kind !== 'bytes' && values.length < total && total * bytesPer(t, vf) > EAGER_BYTES) {
    if (values.length % vf.perElement !== 0) throw new CodecError('complex tensor values must come in (real, imaginary) pairs');
    expandLater(t, vf, values, total, limits);
    return values.length;
  }
  if (vf.kind === 'bytes') {
    // Copies: protobufjs hands out views into the file, which can then be freed.
    const strings = Array.from(values as ArrayLike<Uint8Array>, (s) => new Uint8Array(s));
    const last = strings.length > 0 ? strings[strings.length - 1] : new Uint8Array(0);
    while (strings.length < total) strings.push(last);
    t.strings = strings;
    return values.length;
  }
  if (values.length % vf.perElement !== 0) throw new CodecError('complex tensor values must come in (real, imaginary) pairs');
  t.data = expand(t, vf, values, total);
  return values.length;
}

function expand(t: TensorValue, vf: ValueField, values: ArrayLike<unknown>, total: number): TensorData {
  const data = allocData(t.dtype, total);
  if (vf.kind === 'i64' || vf.kind === 'u64') {
    const big = data as BigInt64Array | BigUint64Array;
    for (let i = 0; i < values.length; i++) big[i] = bigintFromPb(values[i] as PbInt64, vf.kind === 'u64');
  } else {
    // A typed array's set() converts as TensorFlow's casts do (booleans to 0/1, int_val wrapped to int8 ...).
    (data as Float32Array).set(values as ArrayLike<number>);
  }
  fillTail(data, values.length, vf.perElement);
  return data;
}

/** Tensors smaller than this are expanded at once; larger ones with repeated values when first read. */
const EAGER_BYTES = 1 << 20;

export interface LazyLimits {
  maxExpandedBytes: number;
  node?: string;
  file?: string;
}

function bytesPer(t: TensorValue, vf: ValueField): number {
  return vf.kind === 'i64' || vf.kind === 'u64' ? 8 : allocData(t.dtype, 0).BYTES_PER_ELEMENT;
}

/** Stored values of tensors not expanded yet (their `data` is a getter until first read). */
const pending = new WeakMap<TensorValue, TensorData>();

/** The stored values of a tensor whose `data` was never read, else undefined. */
export function pendingValues(t: TensorValue): TensorData | undefined {
  return pending.get(t);
}

/**
 * A Const whose shape claims far more elements than it stores (a few bytes of float_val
 * can claim billions) is expanded only when its values are needed, and only within
 * `maxExpandedBytes`: beyond that, reading `data` throws a FileFormatError naming the node
 * and the claimed size. Loading, validating and saving never read it.
 */
function expandLater(t: TensorValue, vf: ValueField, values: ArrayLike<unknown>, total: number, limits: LazyLimits): void {
  const stored = expand(t, vf, values, values.length); // a copy: the file's buffer can be freed
  pending.set(t, stored);
  const bytes = total * bytesPer(t, vf);
  const storedCount = values.length; // a number: the getter must not keep `values` (the decoded message) alive
  const compute = (): TensorData => {
    if (bytes > limits.maxExpandedBytes) {
      throw new FileFormatError('TENSOR_TOO_LARGE', `the constant tensor of shape [${t.shape.dims}] claims ${total} elements (${bytes} bytes) from ${storedCount} stored values, over the ${limits.maxExpandedBytes}-byte limit for repeated values`, {
        file: limits.file,
        node: limits.node,
        hint: 'the file is corrupt or hostile; re-export the model (a genuine tensor this large can be read with decodeGraphDef(bytes, { maxExpandedBytes }))',
      });
    }
    const data = allocData(t.dtype, total);
    data.set(stored as never);
    fillTail(data, stored.length, vf.perElement);
    return data;
  };
  computeDataLater(t, compute, () => pending.delete(t));
}

function checkStored(stored: number, total: number): void {
  if (stored > total) throw new CodecError(`tensor stores ${stored} values but its shape holds only ${total}`);
}

/** Repeats the last stored value (or pair, for complex) over the rest of `data`. */
function fillTail(data: TensorData, stored: number, per: number): void {
  if (stored === 0 || stored >= data.length) return;
  if (per === 1) {
    (data as Float32Array).fill((data as Float32Array)[stored - 1], stored);
    return;
  }
  for (let i = stored; i < data.length; i++) (data as Float32Array)[i] = (data as Float32Array)[stored - per + ((i - stored) % per)];
}

/**
 * Does the tail after `stored` still repeat the last stored value (bit for bit)? A pass
 * that edited `data` in place must not lose the edit by re-eliding the tail.
 */
export function tailRepeats(t: TensorValue, vf: ValueField, stored: number): boolean {
  if (vf.kind === 'bytes') {
    const s = t.strings ?? [];
    if (stored > s.length || (stored === 0 && s.length > 0)) return false;
    const last = s[stored - 1];
    for (let i = stored; i < s.length; i++) if (!sameBytes(s[i], last)) return false;
    return true;
  }
  const data = t.data;
  const per = vf.perElement;
  if (stored > data.length || stored % per !== 0) return false;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const unit = data.BYTES_PER_ELEMENT * per;
  const from = stored * data.BYTES_PER_ELEMENT;
  for (let i = from; i < bytes.length; i++) {
    const ref = stored === 0 ? 0 : bytes[from - unit + ((i - from) % unit)];
    if (bytes[i] !== ref) return false;
  }
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Sets the first `stored` values of `data` as the field `vf.prop`. protobufjs packs typed
 * arrays as they are; 64-bit integers need a per-value conversion (it knows no bigint),
 * and bools become booleans for the proto3-JSON form.
 */
export function writeValues(m: PbTensor, vf: ValueField, data: TensorData, stored: number): void {
  if (stored === 0) return;
  const prefix = data.subarray(0, stored);
  const target = m as Record<string, unknown>;
  if (vf.kind === 'i64' || vf.kind === 'u64') {
    target[vf.prop] = Array.from(prefix as BigInt64Array, (v) => int64ToPb(v, vf.kind === 'u64'));
  } else if (vf.kind === 'bool') {
    target[vf.prop] = Array.from(prefix as Uint8Array, Boolean); // toObject (model.json) must see booleans
  } else {
    target[vf.prop] = prefix;
  }
}
