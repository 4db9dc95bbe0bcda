/**
 * protobufjs, as the GraphDef codec uses it: the shapes of the message objects it decodes
 * and encodes with our schema (schema.ts), decoding that keeps unknown fields, and the
 * int64 conversions (Long ⇄ number | bigint) so that no Long leaves src/io.
 */
import Long from 'long';
import * as protobuf from 'protobufjs';
import type { Int64 } from '../ir';
import { messageType, plainBytes } from './schema';

/** A failure found while turning messages into IR (or back); graphdef.ts adds file and node. */
export class CodecError extends Error {
  constructor(
    message: string,
    readonly code: 'PROTOBUF_MALFORMED' | 'UNSUPPORTED_DTYPE' | 'INVALID_GRAPH' = 'PROTOBUF_MALFORMED',
  ) {
    super(message);
  }
}

/** int64 fields as protobufjs gives them (a Long when the long package is present) and takes them. */
export type PbInt64 = number | Long;

/** Fields protobufjs did not know, raw (tag included), in file order; written back after the known ones. */
export interface PbUnknowns {
  $unknowns?: Uint8Array[];
}

export interface PbDim {
  size?: PbInt64;
  name?: string;
}

export interface PbShape {
  dim?: PbDim[];
  unknownRank?: boolean;
}

/** TensorProto. Decoded repeated fields are JS arrays; when encoding, typed arrays work as well. */
export interface PbTensor extends PbUnknowns {
  dtype?: number;
  tensorShape?: PbShape | null;
  versionNumber?: number;
  tensorContent?: Uint8Array;
  floatVal?: ArrayLike<number>;
  doubleVal?: ArrayLike<number>;
  intVal?: ArrayLike<number>;
  stringVal?: Uint8Array[];
  scomplexVal?: ArrayLike<number>;
  int64Val?: ArrayLike<PbInt64>;
  boolVal?: ArrayLike<boolean | number>;
  dcomplexVal?: ArrayLike<number>;
  halfVal?: ArrayLike<number>;
  resourceHandleVal?: Uint8Array[];
  variantVal?: Uint8Array[];
  uint32Val?: ArrayLike<number>;
  uint64Val?: ArrayLike<PbInt64>;
}

export interface PbList {
  s?: Uint8Array[];
  i?: PbInt64[];
  f?: number[];
  b?: boolean[];
  type?: number[];
  shape?: PbShape[];
  tensor?: PbTensor[];
  func?: PbNameAttrList[];
}

/** AttrValue: one member of the `value` oneof. Decoded messages also name it in `value`. */
export interface PbAttrValue {
  value?: string;
  list?: PbList;
  s?: Uint8Array;
  i?: PbInt64;
  f?: number;
  b?: boolean;
  type?: number;
  shape?: PbShape;
  tensor?: PbTensor;
  placeholder?: string;
  func?: PbNameAttrList;
}

export interface PbNameAttrList {
  name?: string;
  attr?: Record<string, PbAttrValue>;
}

export interface PbNodeDef extends PbUnknowns {
  name?: string;
  op?: string;
  input?: string[];
  device?: string;
  attr?: Record<string, PbAttrValue>;
  experimentalDebugInfo?: Uint8Array | null;
  experimentalType?: Uint8Array | null;
}

export interface PbVersionDef {
  producer?: number;
  minConsumer?: number;
  badConsumers?: number[];
}

export interface PbGraphDef extends PbUnknowns {
  node?: PbNodeDef[];
  library?: Uint8Array | null;
  version?: number;
  versions?: PbVersionDef | null;
  debugInfo?: Uint8Array | null;
}

/**
 * Decodes `bytes` as the named message, keeping unknown fields in `$unknowns` (protobufjs
 * drops them unless the reader says otherwise). Bytes fields are views into `bytes`.
 * Throws protobufjs's errors (RangeError, Error, TypeError for bad UTF-8) on bad input.
 */
export function decodeMessage<T>(type: string, bytes: Uint8Array): T {
  // A Buffer would get protobufjs's BufferReader, whose bytes fields are Buffers; the IR
  // promises plain Uint8Arrays, so read through a plain view of the same memory.
  const reader = protobuf.Reader.create(plainBytes(bytes));
  reader.discardUnknown = false;
  return messageType(type).decode(reader) as unknown as T;
}

/**
 * Encodes `message` as the named type. protobufjs's writer starts at 128 bytes and doubles,
 * so a GraphDef of tens of MB would be copied some twenty times while growing (and then
 * collected); `sizeHint` starts it near the final size (it still grows if the hint is
 * short). Writer.initialBufferSize is protobufjs's public knob for that; it is set only
 * around creating our writer, so other users of protobufjs never see it changed.
 */
export function encodeMessage(type: string, message: object, sizeHint = 0): Uint8Array {
  return plainBytes(encodeWithHint(type, message, sizeHint));
}

function encodeWithHint(type: string, message: object, sizeHint: number): Uint8Array {
  const T = messageType(type);
  const initial = protobuf.Writer.initialBufferSize;
  if (sizeHint <= initial) return T.encode(message).finish();
  let writer: protobuf.Writer;
  protobuf.Writer.initialBufferSize = sizeHint;
  try {
    writer = protobuf.Writer.create();
  } finally {
    protobuf.Writer.initialBufferSize = initial;
  }
  return T.encode(message, writer).finish();
}

/** Is `name` set on a decoded message (present on the wire)? Defaults live on the prototype. */
function present(message: object, name: string): boolean {
  if (!Object.prototype.hasOwnProperty.call(message, name)) return false;
  const v = (message as Record<string, unknown>)[name];
  return v != null && !(Array.isArray(v) && v.length === 0);
}

/**
 * The fields `names` of a decoded message plus its unknown fields, encoded as they were
 * (each tagged, in field-number order then file order), copied out of the input buffer;
 * undefined when there are none. This is how fields the IR does not model become `opaque`.
 */
export function keptFields(type: string, message: PbUnknowns, names: readonly string[]): Uint8Array | undefined {
  const kept: Record<string, unknown> & PbUnknowns = {};
  let any = false;
  for (const name of names) {
    if (!present(message, name)) continue;
    kept[name] = (message as Record<string, unknown>)[name];
    any = true;
  }
  if (message.$unknowns?.length) kept.$unknowns = message.$unknowns;
  else if (!any) return undefined;
  const out = encodeMessage(type, kept); // a fresh buffer: the file's bytes can be freed
  return out.length > 0 ? new Uint8Array(out.buffer, out.byteOffset, out.length) : undefined;
}

/** Raw fields written back after a message's known ones (protobufjs writes `$unknowns` last). */
export function unknowns(opaque: Uint8Array | undefined): PbUnknowns {
  return opaque && opaque.length > 0 ? { $unknowns: [opaque] } : {};
}

const TWO_32 = 4294967296;

/** A decoded int64 as a number while exact (|v| < 2^53), else a bigint. */
export function int64FromPb(v: PbInt64 | undefined | null, unsigned = false): Int64 {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  // Rounding is monotonic, so an inexact sum is never a safe integer: only exact ones pass.
  const n = (unsigned ? v.high >>> 0 : v.high | 0) * TWO_32 + (v.low >>> 0);
  return Number.isSafeInteger(n) ? n : bigintFromPb(v, unsigned);
}

/** A decoded int64 as a bigint (for BigInt64Array / BigUint64Array tensors). */
export function bigintFromPb(v: PbInt64, unsigned: boolean): bigint {
  const bits = typeof v === 'number' ? BigInt(v) : (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? BigInt.asUintN(64, bits) : BigInt.asIntN(64, bits);
}

/** An IR int64 for protobufjs: numbers as they are, bigints as a Long of their low 64 bits. */
export function int64ToPb(v: Int64, unsigned = false): PbInt64 {
  if (typeof v === 'number') return v;
  const u = BigInt.asUintN(64, v);
  return Long.fromBits(Number(u & 0xffffffffn), Number(u >> 32n), unsigned);
}

/** A copy of bytes protobufjs handed out as a view into the input, so that buffer can be freed. */
export function copyBytes(b: Uint8Array | undefined | null): Uint8Array {
  return b ? new Uint8Array(b) : new Uint8Array(0);
}
