/**
 * Test helpers: protobufjs (with our schema) as an independent encoder that produces
 * canonical bytes, and the SDK's message ⇄ IR conversion for single messages.
 */
import { attrFromMessage, attrToMessage } from '../../src/io/attr-codec';
import { decodeMessage, encodeMessage } from '../../src/io/pb';
import type { PbAttrValue, PbTensor } from '../../src/io/pb';
import { messageType } from '../../src/io/schema';
import { DEFAULT_LIMITS, tensorFromMessage, tensorToMessage } from '../../src/io/tensor-codec';
import type { AttrValue, TensorValue } from '../../src/ir';

/** Canonical bytes of a message, written by protobufjs from a plain object. */
export function pbEncode(type: string, obj: Record<string, unknown>): Uint8Array {
  const T = messageType(type);
  const err = T.verify(T.fromObject(obj));
  if (err) throw new Error(`test fixture does not fit ${type}: ${err}`);
  return T.encode(T.fromObject(obj)).finish();
}

export function decTensor(bytes: Uint8Array): TensorValue {
  return tensorFromMessage(decodeMessage<PbTensor>('TensorProto', bytes), DEFAULT_LIMITS);
}

export function encTensor(t: TensorValue): Uint8Array {
  return encodeMessage('TensorProto', tensorToMessage(t));
}

export function decAttr(bytes: Uint8Array): AttrValue {
  return attrFromMessage(decodeMessage<PbAttrValue>('AttrValue', bytes), DEFAULT_LIMITS);
}

export function encAttr(a: AttrValue): Uint8Array {
  return encodeMessage('AttrValue', attrToMessage(a));
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A TensorShapeProto object for protobufjs. */
export const shapeObj = (dims: number[]) => ({ dim: dims.map((size) => (size === 0 ? {} : { size })) });
