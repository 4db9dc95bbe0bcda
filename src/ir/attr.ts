/** Building and reading node attributes without touching the AttrValue union by hand. */
import { GraphError } from '../errors';
import { DataType } from './dtype';
import type { AttrValue, NodeDef, TensorShape, TensorValue } from './types';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

export const attr = {
  str: (value: string): AttrValue => ({ kind: 's', value: utf8Encoder.encode(value) }),
  int: (value: number): AttrValue => ({ kind: 'i', value }),
  float: (value: number): AttrValue => ({ kind: 'f', value }),
  bool: (value: boolean): AttrValue => ({ kind: 'b', value }),
  type: (value: DataType): AttrValue => ({ kind: 'type', value }),
  shape: (dims: number[]): AttrValue => ({ kind: 'shape', value: { dims } }),
  tensor: (value: TensorValue): AttrValue => ({ kind: 'tensor', value }),
  ints: (values: number[]): AttrValue => ({ kind: 'list', value: { i: values } }),
  floats: (values: number[]): AttrValue => ({ kind: 'list', value: { f: values } }),
  strs: (values: string[]): AttrValue => ({ kind: 'list', value: { s: values.map((v) => utf8Encoder.encode(v)) } }),
  types: (values: DataType[]): AttrValue => ({ kind: 'list', value: { type: values } }),
};

function missing(node: NodeDef, name: string, want: string): GraphError {
  return new GraphError('INVALID_GRAPH', `attribute "${name}" of ${node.op} node ${node.name} is missing or not ${want}`, {
    node: node.name,
    hint: 'the graph does not follow the TensorFlow op definition; re-export the model',
  });
}

/** Reads of typed attributes; `fallback` is returned when the attribute is absent. */
export function attrString(node: NodeDef, name: string, fallback?: string): string {
  const a = node.attr[name];
  if (a?.kind === 's') return utf8Decoder.decode(a.value);
  if (a === undefined && fallback !== undefined) return fallback;
  throw missing(node, name, 'a string');
}

export function attrInt(node: NodeDef, name: string, fallback?: number): number {
  const a = node.attr[name];
  if (a?.kind === 'i') return Number(a.value);
  if (a === undefined && fallback !== undefined) return fallback;
  throw missing(node, name, 'an int');
}

export function attrFloat(node: NodeDef, name: string, fallback?: number): number {
  const a = node.attr[name];
  if (a?.kind === 'f') return a.value;
  if (a === undefined && fallback !== undefined) return fallback;
  throw missing(node, name, 'a float');
}

export function attrBool(node: NodeDef, name: string, fallback?: boolean): boolean {
  const a = node.attr[name];
  if (a?.kind === 'b') return a.value;
  if (a === undefined && fallback !== undefined) return fallback;
  throw missing(node, name, 'a bool');
}

export function attrType(node: NodeDef, name: string, fallback?: DataType): DataType {
  const a = node.attr[name];
  if (a?.kind === 'type') return a.value;
  if (a === undefined && fallback !== undefined) return fallback;
  throw missing(node, name, 'a type');
}

export function attrInts(node: NodeDef, name: string, fallback?: number[]): number[] {
  const a = node.attr[name];
  if (a?.kind === 'list') return (a.value.i ?? []).map(Number);
  if (a === undefined && fallback !== undefined) return fallback;
  throw missing(node, name, 'a list of ints');
}

export function attrStrings(node: NodeDef, name: string, fallback?: string[]): string[] {
  const a = node.attr[name];
  if (a?.kind === 'list') return (a.value.s ?? []).map((s) => utf8Decoder.decode(s));
  if (a === undefined && fallback !== undefined) return fallback;
  throw missing(node, name, 'a list of strings');
}

export function attrTensor(node: NodeDef, name = 'value'): TensorValue {
  const a = node.attr[name];
  if (a?.kind === 'tensor') return a.value;
  throw missing(node, name, 'a tensor');
}

export function attrShape(node: NodeDef, name: string): TensorShape | undefined {
  const a = node.attr[name];
  return a?.kind === 'shape' ? a.value : undefined;
}

export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}
