/**
 * The typed repeated fields of TensorProto (float_val, int_val, ...). TensorFlow may
 * store fewer values than elements: the last stored value repeats to fill the shape
 * (none stored means zeros), so a zero tensor of shape [64] is `float_val: 0`.
 */
import type { TensorData, TensorValue } from '../ir';
import { allocData } from './dtype-fields';
import type { ValueField } from './dtype-fields';
import { CodecError, concatBytes, ProtoReader } from './wire';
import { ProtoWriter, varintSize } from './writer';

/**
 * Decodes the stored values into `t.data` (or `t.strings`), expanded to `count`
 * elements; returns how many values were stored.
 */
export function readValues(vf: ValueField, segments: Uint8Array[], count: number, t: TensorValue): number {
  const total = count * vf.perElement;
  if (vf.kind === 'bytes') {
    const stored = segments.map((s) => new Uint8Array(s)); // copies: the file buffer can be freed
    checkStored(stored.length, total);
    const strings = stored.slice();
    const last = stored.length > 0 ? stored[stored.length - 1] : new Uint8Array(0);
    while (strings.length < total) strings.push(last);
    t.strings = strings;
    return stored.length;
  }
  const payload = concatBytes(segments);
  const data = allocData(t.dtype, total);
  const stored = vf.kind === 'f32' || vf.kind === 'f64' ? readFixed(payload, data, vf.kind === 'f32' ? 4 : 8) : readVarints(vf, payload, data);
  checkStored(stored, total);
  if (stored % vf.perElement !== 0) throw new CodecError('complex tensor values must come in (real, imaginary) pairs');
  fillTail(data, stored, vf.perElement);
  t.data = data;
  return stored;
}

function checkStored(stored: number, total: number): void {
  if (stored > total) throw new CodecError(`tensor stores ${stored} values but its shape holds only ${total}`);
}

function readFixed(payload: Uint8Array, data: TensorData, size: number): number {
  if (payload.length % size !== 0) throw new CodecError(`packed ${size * 8}-bit values: ${payload.length} bytes is not a multiple of ${size}`);
  const n = payload.length / size;
  if (n > data.length) return n; // reported by checkStored
  new Uint8Array(data.buffer, 0, payload.length).set(payload);
  return n;
}

function countVarints(payload: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < payload.length; i++) if (payload[i] < 0x80) n++;
  if (payload.length > 0 && payload[payload.length - 1] >= 0x80) throw new CodecError('packed varints end mid-value');
  return n;
}

function readVarints(vf: ValueField, payload: Uint8Array, data: TensorData): number {
  const n = countVarints(payload);
  if (n > data.length) return n;
  const r = new ProtoReader(payload);
  switch (vf.kind) {
    case 'i32':
      for (let i = 0; i < n; i++) (data as Int32Array)[i] = r.int32();
      break;
    case 'u32':
      for (let i = 0; i < n; i++) (data as Uint32Array)[i] = r.uint32();
      break;
    case 'bool':
      for (let i = 0; i < n; i++) (data as Uint8Array)[i] = r.bool() ? 1 : 0;
      break;
    case 'i64':
    case 'u64':
      for (let i = 0; i < n; i++) (data as BigInt64Array)[i] = BigInt(r.uint64());
      break;
    default:
      throw new CodecError(`internal: ${vf.kind} is not a varint kind`);
  }
  return n;
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

/** Writes the first `stored` values of `data` as the packed field `vf.field`. */
export function writeValues(w: ProtoWriter, vf: ValueField, data: TensorData, stored: number): void {
  if (stored === 0) return;
  if (vf.kind === 'f32' || vf.kind === 'f64') {
    w.bytesField(vf.field, new Uint8Array(data.buffer, data.byteOffset, stored * data.BYTES_PER_ELEMENT));
    return;
  }
  const get = (i: number) => data[i] as number | bigint;
  let size = 0;
  for (let i = 0; i < stored; i++) size += varintSize(get(i));
  w.packedVarints(vf.field, stored, get, size);
}
