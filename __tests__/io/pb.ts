/**
 * Test helpers: protobufjs (with our schema) as an independent encoder that produces
 * canonical bytes, and the SDK's codec entry points for single messages.
 */
import { decodeAttrValue, writeAttrValueFields } from '../../src/io/attr-codec';
import { messageType } from '../../src/io/schema';
import { decodeTensor, DEFAULT_LIMITS, writeTensorFields } from '../../src/io/tensor-codec';
import { ProtoReader } from '../../src/io/wire';
import { ProtoWriter } from '../../src/io/writer';
import type { AttrValue, TensorValue } from '../../src/ir';

/** Canonical bytes of a message, written by protobufjs from a plain object. */
export function pbEncode(type: string, obj: Record<string, unknown>): Uint8Array {
  const T = messageType(type);
  const err = T.verify(T.fromObject(obj));
  if (err) throw new Error(`test fixture does not fit ${type}: ${err}`);
  return T.encode(T.fromObject(obj)).finish();
}

export function decTensor(bytes: Uint8Array): TensorValue {
  return decodeTensor(new ProtoReader(bytes), DEFAULT_LIMITS);
}

export function encTensor(t: TensorValue): Uint8Array {
  const w = new ProtoWriter();
  writeTensorFields(w, t);
  return w.finish();
}

export function decAttr(bytes: Uint8Array): AttrValue {
  return decodeAttrValue(new ProtoReader(bytes), DEFAULT_LIMITS);
}

export function encAttr(a: AttrValue): Uint8Array {
  const w = new ProtoWriter();
  writeAttrValueFields(w, a);
  return w.finish();
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A TensorShapeProto object for protobufjs. */
export const shapeObj = (dims: number[]) => ({ dim: dims.map((size) => (size === 0 ? {} : { size })) });
