/**
 * TensorProto and TensorShapeProto messages (as protobufjs decodes them) ⇄ TensorValue /
 * TensorShape. Values are always expanded to the full element count; `encoding`
 * remembers how they were stored so a canonical file re-encodes byte for byte.
 */
import * as os from 'os';
import { DataType, dtypeName, numElements } from '../ir';
import { deferData, unreadContent } from '../ir/tensor-lazy';
import type { TensorData, TensorShape, TensorValue } from '../ir';
import { allocData, contentBytesPerElement, isKnownDtype, VALUE_PROPS, valueFieldFor } from './dtype-fields';
import type { ValueField, ValueProp } from './dtype-fields';
import { CodecError, int64FromPb, keptFields, unknowns } from './pb';
import type { PbDim, PbShape, PbTensor } from './pb';
import { pendingValues, readValues, tailRepeats, writeValues } from './tensor-values';

// Tensor bytes are copied as-is between the file and typed arrays (TF writes little-endian).
if (os.endianness() !== 'LE') throw new Error('amct-ts io: big-endian hosts are not supported');

/** TensorFlow's limit on the rank of a tensor (TensorShape::MaxDimensions). */
const MAX_RANK = 254;

export interface DecodeLimits {
  /** Largest tensor, in bytes once expanded, that decoding will allocate. */
  maxTensorBytes: number;
  /**
   * Largest tensor, in bytes, that a few stored values may be repeated out to (TensorFlow
   * stores a zero tensor as `float_val: 0` plus its shape). Such tensors are expanded
   * only when their values are first read; beyond this, reading them is a typed error.
   */
  maxExpandedBytes: number;
  /** The node being decoded, named in errors of lazily expanded tensors. */
  node?: string;
  /** The file being decoded, named in those errors too. */
  file?: string;
  /**
   * tensor_content is copied out of the decoded buffer only when a tensor's `data` is first
   * read (ir/tensor-lazy.ts), so the graph keeps that buffer alive until then: only for a
   * buffer nobody else holds (loadGraph's own read of the file).
   */
  deferContent?: boolean;
}

export const DEFAULT_LIMITS: DecodeLimits = { maxTensorBytes: 2 ** 30, maxExpandedBytes: 64 * 2 ** 20 };

export function shapeFromMessage(m: PbShape | null | undefined): TensorShape {
  const dimList = m?.dim ?? [];
  if (dimList.length > MAX_RANK) throw new CodecError(`shape has more than ${MAX_RANK} dimensions`);
  const dims: number[] = [];
  const names: (string | undefined)[] = [];
  for (const d of dimList) {
    const size = int64FromPb(d.size);
    if (typeof size === 'bigint' || size < -1) throw new CodecError(`dimension ${size} is not a valid size (must be -1 or more)`);
    dims.push(size);
    names.push(d.name || undefined);
  }
  const shape: TensorShape = { dims };
  if (m?.unknownRank) shape.unknownRank = true;
  if (names.some((n) => n !== undefined)) shape.dimNames = names;
  return shape;
}

/** Only non-default fields are set: protobufjs's toObject (model.json) prints every field it is given. */
export function shapeToMessage(shape: TensorShape): PbShape {
  const m: PbShape = {};
  if (shape.dims.length > 0) {
    m.dim = shape.dims.map((size, i) => {
      const d: PbDim = {};
      if (size !== 0) d.size = size;
      const name = shape.dimNames?.[i];
      if (name) d.name = name;
      return d;
    });
  }
  if (shape.unknownRank) m.unknownRank = true;
  return m;
}

export function tensorFromMessage(m: PbTensor, limits: DecodeLimits = DEFAULT_LIMITS): TensorValue {
  const dtype = m.dtype ?? 0;
  if (!isKnownDtype(dtype)) throw new CodecError(`tensor has unknown dtype ${dtype}`, 'UNSUPPORTED_DTYPE');
  const shape = shapeFromMessage(m.tensorShape);
  const t: TensorValue = { dtype, shape, data: new Uint8Array(0) };
  if (m.versionNumber) t.versionNumber = m.versionNumber;
  const vf = valueFieldFor(dtype);
  // Resource, variant, float8, int4 ...: the values are kept whole, unread.
  if (!vf) return withOpaque(t, m, VALUE_PROPS);
  const count = checkedCount(dtype, shape, vf);
  const content = m.tensorContent;
  if (vf.kind !== 'bytes' && content && content.length > 0) {
    // TensorFlow reads tensor_content first and ignores any typed values beside it.
    checkSize(dtype, shape, vf, count, limits.maxTensorBytes);
    checkContentLength(dtype, content, count);
    if (limits.deferContent) deferData(t, content, (c) => fromContent(dtype, c, count));
    else t.data = fromContent(dtype, content, count);
    t.encoding = { kind: 'content' };
    return withOpaque(t, m, ALL_BUT.get('tensorContent')!);
  }
  // No size check here: stored values are bounded by the file, repeated ones are expanded lazily within maxExpandedBytes.
  t.encoding = { kind: 'values', storedCount: readValues(vf, m[vf.prop], count, t, limits) };
  return withOpaque(t, m, ALL_BUT.get(vf.prop)!);
}

/** For each value field, the others: those that become `opaque` when it holds the values. */
const ALL_BUT = new Map(VALUE_PROPS.map((p) => [p, VALUE_PROPS.filter((q) => q !== p)]));

/** Fields not modelled (and unknown ones), re-encoded as they were into `opaque`. */
function withOpaque(t: TensorValue, m: PbTensor, props: readonly ValueProp[]): TensorValue {
  const opaque = keptFields('TensorProto', m, props);
  if (opaque) t.opaque = opaque;
  return t;
}

function checkedCount(dtype: DataType, shape: TensorShape, vf: ValueField): number {
  if (shape.unknownRank) throw new CodecError('a tensor value cannot have an unknown rank');
  for (const d of shape.dims) if (d < 0) throw new CodecError(`a tensor value has negative dimension ${d} in shape [${shape.dims}]`);
  const count = numElements(shape);
  if (!Number.isSafeInteger(count * vf.perElement * 8)) throw new CodecError(`tensor of shape [${shape.dims}] ${dtypeName(dtype)} claims ${count} elements, more than any tensor can hold`);
  return count;
}

/** Bytes the tensor takes expanded. */
function expandedBytes(dtype: DataType, count: number, vf: ValueField): number {
  return count * vf.perElement * (contentBytesPerElement(dtype) ?? 8);
}

function checkSize(dtype: DataType, shape: TensorShape, vf: ValueField, count: number, limit: number): void {
  const bytes = expandedBytes(dtype, count, vf);
  if (bytes > limit) throw new CodecError(`tensor of shape [${shape.dims}] ${dtypeName(dtype)} would need ${bytes} bytes, over the ${limit}-byte limit`);
}

function checkContentLength(dtype: DataType, content: Uint8Array, count: number): void {
  const per = contentBytesPerElement(dtype)!;
  if (content.length !== count * per) {
    throw new CodecError(`tensor_content has ${content.length} bytes but ${count} elements of ${dtypeName(dtype)} need ${count * per}`);
  }
}

/** One copy of tensor_content (a view into the file, of a checked length) into a fresh, aligned typed array. */
function fromContent(dtype: DataType, content: Uint8Array, count: number): TensorData {
  const values = dtype === DataType.DT_COMPLEX64 || dtype === DataType.DT_COMPLEX128 ? count * 2 : count;
  const data = allocData(dtype, values);
  new Uint8Array(data.buffer).set(content);
  return data;
}

/** A TensorProto message for protobufjs; tensor bytes are passed as views, copied once by its writer. */
export function tensorToMessage(t: TensorValue): PbTensor {
  // tensor_shape is always set (TensorFlow writes it for scalars too); opaque fields go last.
  const m: PbTensor = { tensorShape: shapeToMessage(t.shape), ...unknowns(t.opaque) };
  if (t.dtype) m.dtype = t.dtype;
  if (t.versionNumber) m.versionNumber = t.versionNumber;
  const vf = valueFieldFor(t.dtype);
  if (vf) setValues(m, t, vf);
  return m;
}

/** About the bytes `t` takes encoded: all of `data` as tensor_content, or its stored values (≤ 10 bytes each). */
export function tensorSizeHint(t: TensorValue): number {
  const enc = t.encoding;
  const lazy = pendingValues(t) ?? unreadContent(t);
  let n = 32 + (t.opaque?.length ?? 0) + (lazy ? lazy.byteLength : enc?.kind === 'values' ? Math.min(t.data.byteLength, enc.storedCount * 10) : t.data.byteLength);
  for (const s of t.strings ?? []) n += s.length + 2;
  return n;
}

function setValues(m: PbTensor, t: TensorValue, vf: ValueField): void {
  const count = numElements(t.shape);
  // No values at all means zeros to TensorFlow; model.json topologies use it for Consts whose values are weights.
  if (t.encoding?.kind === 'values' && t.encoding.storedCount === 0 && t.data.length === 0 && !t.strings?.length) return;
  if (vf.kind === 'bytes') {
    const strings = t.strings ?? [];
    if (strings.length !== count) throw new CodecError(`DT_STRING tensor of shape [${t.shape.dims}] has ${strings.length} strings`, 'INVALID_GRAPH');
    const stored = t.encoding?.kind === 'values' && tailRepeats(t, vf, t.encoding.storedCount) ? t.encoding.storedCount : count;
    if (stored > 0) m.stringVal = strings.slice(0, stored);
    return;
  }
  const content = unreadContent(t);
  if (content) {
    // Never read: the file's bytes go back as they were (the shape may have been edited since).
    checkContentLength(t.dtype, content, count);
    m.tensorContent = content;
    return;
  }
  const lazy = pendingValues(t);
  if (lazy) {
    // Never expanded: its stored values are what the file had, written back as they were.
    writeValues(m, vf, lazy, lazy.length);
    return;
  }
  const values = count * vf.perElement;
  if (t.data.length !== values) {
    throw new CodecError(`${dtypeName(t.dtype)} tensor of shape [${t.shape.dims}] holds ${t.data.length} values, expected ${values}`, 'INVALID_GRAPH');
  }
  const enc = t.encoding;
  if (enc?.kind === 'values' && tailRepeats(t, vf, enc.storedCount)) {
    writeValues(m, vf, t.data, enc.storedCount);
  } else if (t.data.length > 0) {
    m.tensorContent = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
}
