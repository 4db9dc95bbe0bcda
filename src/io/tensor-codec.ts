/**
 * TensorProto and TensorShapeProto ⇄ TensorValue / TensorShape. Values are always
 * expanded to the full element count; `encoding` remembers how they were stored so a
 * canonical file re-encodes byte for byte.
 */
import { DataType, dtypeName, numElements } from '../ir';
import type { TensorData, TensorShape, TensorValue } from '../ir';
import { allocData, contentBytesPerElement, FIELD, isKnownDtype, valueFieldFor } from './dtype-fields';
import type { ValueField } from './dtype-fields';
import { readValues, tailRepeats, writeValues } from './tensor-values';
import { CodecError, concatBytes, expectWire, ProtoReader, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './wire';
import { ProtoWriter } from './writer';

/** TensorFlow's limit on the rank of a tensor (TensorShape::MaxDimensions). */
const MAX_RANK = 254;

export interface DecodeLimits {
  /** Largest tensor, in bytes once expanded, that decoding will allocate. */
  maxTensorBytes: number;
}

export const DEFAULT_LIMITS: DecodeLimits = { maxTensorBytes: 2 ** 30 };

export function decodeShape(r: ProtoReader): TensorShape {
  const dims: number[] = [];
  const names: (string | undefined)[] = [];
  let unknownRank = false;
  while (!r.eof()) {
    const [field, wire] = r.tag();
    if (field === 2) {
      expectWire(field, wire, WIRE_LEN);
      const d = r.sub();
      let size: number | bigint = 0;
      let name: string | undefined;
      while (!d.eof()) {
        const [f, w] = d.tag();
        if (f === 1 && w === WIRE_VARINT) size = d.int64();
        else if (f === 2 && w === WIRE_LEN) name = d.string() || undefined;
        else d.skip(w);
      }
      if (typeof size === 'bigint' || size < -1) throw new CodecError(`dimension ${size} is not a valid size (must be -1 or more)`);
      if (dims.length >= MAX_RANK) throw new CodecError(`shape has more than ${MAX_RANK} dimensions`);
      dims.push(size);
      names.push(name);
    } else if (field === 3 && wire === WIRE_VARINT) {
      unknownRank = r.bool();
    } else {
      r.skip(wire);
    }
  }
  const shape: TensorShape = { dims };
  if (unknownRank) shape.unknownRank = true;
  if (names.some((n) => n !== undefined)) shape.dimNames = names;
  return shape;
}

export function writeShapeFields(w: ProtoWriter, shape: TensorShape): void {
  shape.dims.forEach((size, i) => {
    w.fork().optInt64(1, size).optString(2, shape.dimNames?.[i]).ldelim(2);
  });
  w.optBool(3, shape.unknownRank);
}

interface RawField {
  field: number;
  wire: number;
  /** The whole field, tag included (for opaque storage). */
  bytes: Uint8Array;
  /** The value: a length-delimited payload, or the bytes of one scalar. */
  payload: Uint8Array;
}

interface RawTensor {
  dtype: number;
  shape: TensorShape;
  version: number;
  content?: Uint8Array;
  /** Fields besides dtype, shape and version, in file order. */
  raws: RawField[];
}

function readRaw(r: ProtoReader): RawTensor {
  const t: RawTensor = { dtype: 0, shape: { dims: [] }, version: 0, raws: [] };
  while (!r.eof()) {
    const start = r.pos;
    const [field, wire] = r.tag();
    if (field === FIELD.dtype && wire === WIRE_VARINT) t.dtype = r.int32();
    else if (field === FIELD.shape && wire === WIRE_LEN) t.shape = decodeShape(r.sub());
    else if (field === FIELD.version && wire === WIRE_VARINT) t.version = r.int32();
    else {
      const valueStart = r.pos;
      const payload = wire === WIRE_LEN ? r.bytes() : (r.skip(wire), r.buf.subarray(valueStart, r.pos));
      t.raws.push({ field, wire, bytes: r.buf.subarray(start, r.pos), payload });
      if (field === FIELD.content && wire === WIRE_LEN) t.content = payload;
    }
  }
  return t;
}

const ELEMENT_WIRE: Record<ValueField['kind'], number> = { f32: WIRE_FIXED32, f64: WIRE_FIXED64, i32: WIRE_VARINT, u32: WIRE_VARINT, i64: WIRE_VARINT, u64: WIRE_VARINT, bool: WIRE_VARINT, bytes: WIRE_LEN };

/** Payloads of the value field: packed runs or single (unpacked) elements, all concatenable. */
function valueSegments(raws: RawField[], vf: ValueField): Uint8Array[] {
  return raws
    .filter((x) => x.field === vf.field)
    .map((x) => {
      if (x.wire !== WIRE_LEN && x.wire !== ELEMENT_WIRE[vf.kind]) throw new CodecError(`tensor field ${x.field} has wire type ${x.wire}`);
      return x.payload;
    });
}

export function decodeTensor(r: ProtoReader, limits: DecodeLimits = DEFAULT_LIMITS): TensorValue {
  const raw = readRaw(r);
  if (!isKnownDtype(raw.dtype)) throw new CodecError(`tensor has unknown dtype ${raw.dtype}`, 'UNSUPPORTED_DTYPE');
  const dtype = raw.dtype as DataType;
  const vf = valueFieldFor(dtype);
  const t: TensorValue = { dtype, shape: raw.shape, data: new Uint8Array(0) };
  if (raw.version) t.versionNumber = raw.version;
  // Resource, variant, float8, int4 ...: the values are kept whole, unread.
  if (!vf) return withOpaque(t, raw.raws);
  const count = checkedCount(dtype, raw.shape, vf, limits);
  if (vf.kind !== 'bytes' && raw.content && raw.content.length > 0) {
    // TensorFlow reads tensor_content first and ignores any typed values beside it.
    t.data = fromContent(dtype, raw.content, count);
    t.encoding = { kind: 'content' };
    return withOpaque(t, raw.raws.filter((x) => x.field !== FIELD.content));
  }
  const segments = valueSegments(raw.raws, vf);
  t.encoding = { kind: 'values', storedCount: readValues(vf, segments, count, t) };
  return withOpaque(t, raw.raws.filter((x) => x.field !== vf.field && x.field !== FIELD.content));
}

/** Fields not modelled, in file order, copied out so the file buffer can be freed. */
function withOpaque(t: TensorValue, raws: { bytes: Uint8Array }[]): TensorValue {
  if (raws.length > 0) t.opaque = new Uint8Array(concatBytes(raws.map((x) => x.bytes)));
  return t;
}

function checkedCount(dtype: DataType, shape: TensorShape, vf: ValueField, limits: DecodeLimits): number {
  if (shape.unknownRank) throw new CodecError('a tensor value cannot have an unknown rank');
  for (const d of shape.dims) if (d < 0) throw new CodecError(`a tensor value has negative dimension ${d} in shape [${shape.dims}]`);
  const count = numElements(shape);
  const bytes = count * vf.perElement * (contentBytesPerElement(dtype) ?? 8);
  if (!Number.isSafeInteger(count) || bytes > limits.maxTensorBytes) {
    throw new CodecError(`tensor of shape [${shape.dims}] ${dtypeName(dtype)} would need ${bytes} bytes, over the ${limits.maxTensorBytes}-byte limit`);
  }
  return count;
}

function fromContent(dtype: DataType, content: Uint8Array, count: number): TensorData {
  const per = contentBytesPerElement(dtype)!;
  if (content.length !== count * per) {
    throw new CodecError(`tensor_content has ${content.length} bytes but ${count} elements of ${dtypeName(dtype)} need ${count * per}`);
  }
  const values = dtype === DataType.DT_COMPLEX64 || dtype === DataType.DT_COMPLEX128 ? count * 2 : count;
  const data = allocData(dtype, values);
  new Uint8Array(data.buffer).set(content);
  return data;
}

/** Writes the fields of a TensorProto (the caller frames the message). */
export function writeTensorFields(w: ProtoWriter, t: TensorValue): void {
  w.optInt32(FIELD.dtype, t.dtype);
  w.fork();
  writeShapeFields(w, t.shape);
  w.ldelim(FIELD.shape);
  w.optInt32(FIELD.version, t.versionNumber);
  const vf = valueFieldFor(t.dtype);
  if (vf) writeTensorValues(w, t, vf);
  if (t.opaque) w.raw(t.opaque);
}

function writeTensorValues(w: ProtoWriter, t: TensorValue, vf: ValueField): void {
  const count = numElements(t.shape);
  // No values at all means zeros to TensorFlow; model.json topologies use it for Consts whose values are weights.
  if (t.encoding?.kind === 'values' && t.encoding.storedCount === 0 && t.data.length === 0 && !t.strings?.length) return;
  if (vf.kind === 'bytes') {
    const strings = t.strings ?? [];
    if (strings.length !== count) throw new CodecError(`DT_STRING tensor of shape [${t.shape.dims}] has ${strings.length} strings`, 'INVALID_GRAPH');
    const stored = t.encoding?.kind === 'values' && tailRepeats(t, vf, t.encoding.storedCount) ? t.encoding.storedCount : count;
    for (let i = 0; i < stored; i++) w.bytesField(vf.field, strings[i]);
    return;
  }
  const values = count * vf.perElement;
  if (t.data.length !== values) {
    throw new CodecError(`${dtypeName(t.dtype)} tensor of shape [${t.shape.dims}] holds ${t.data.length} values, expected ${values}`, 'INVALID_GRAPH');
  }
  const enc = t.encoding;
  if (enc?.kind === 'values' && tailRepeats(t, vf, enc.storedCount)) {
    writeValues(w, vf, t.data, enc.storedCount);
  } else if (t.data.length > 0) {
    w.bytesField(FIELD.content, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
}
