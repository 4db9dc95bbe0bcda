/** AttrValue, AttrValue.ListValue, NameAttrList and attr maps ⇄ the IR's AttrValue union. */
import type { AttrValue, Int64, ListValue, NameAttrList } from '../ir';
import { decodeShape, decodeTensor, writeShapeFields, writeTensorFields } from './tensor-codec';
import type { DecodeLimits } from './tensor-codec';
import { CodecError, encodeUtf8, expectWire, ProtoReader, WIRE_FIXED32, WIRE_LEN, WIRE_VARINT } from './wire';
import { ProtoWriter, varintSize } from './writer';

const decoder = new TextDecoder();

export function decodeAttrValue(r: ProtoReader, limits: DecodeLimits): AttrValue {
  let value: AttrValue = { kind: 'none' };
  while (!r.eof()) {
    const [field, wire] = r.tag();
    // A oneof: when several members appear, the last one wins (protobuf semantics).
    switch (field) {
      case 1: expectWire(field, wire, WIRE_LEN); value = { kind: 'list', value: decodeList(r.sub(), limits) }; break;
      case 2: expectWire(field, wire, WIRE_LEN); value = { kind: 's', value: new Uint8Array(r.bytes()) }; break;
      case 3: expectWire(field, wire, WIRE_VARINT); value = { kind: 'i', value: r.int64() }; break;
      case 4: expectWire(field, wire, WIRE_FIXED32); value = { kind: 'f', value: r.float() }; break;
      case 5: expectWire(field, wire, WIRE_VARINT); value = { kind: 'b', value: r.bool() }; break;
      case 6: expectWire(field, wire, WIRE_VARINT); value = { kind: 'type', value: r.int32() }; break;
      case 7: expectWire(field, wire, WIRE_LEN); value = { kind: 'shape', value: decodeShape(r.sub()) }; break;
      case 8: expectWire(field, wire, WIRE_LEN); value = { kind: 'tensor', value: decodeTensor(r.sub(), limits) }; break;
      case 9: expectWire(field, wire, WIRE_LEN); value = { kind: 'placeholder', value: r.string() }; break;
      case 10: expectWire(field, wire, WIRE_LEN); value = { kind: 'func', value: decodeNameAttrList(r.sub(), limits) }; break;
      default: r.skip(wire);
    }
  }
  return value;
}

/** Reads every element of a repeated scalar field occurrence (packed or not). */
function scalars<T>(r: ProtoReader, wire: number, elementWire: number, read: (p: ProtoReader) => T, into: T[]): T[] {
  const p = new ProtoReader(r.scalarSegment(wire, elementWire));
  while (!p.eof()) into.push(read(p));
  return into;
}

function decodeList(r: ProtoReader, limits: DecodeLimits): ListValue {
  const list: ListValue = {};
  while (!r.eof()) {
    const [field, wire] = r.tag();
    switch (field) {
      case 2: expectWire(field, wire, WIRE_LEN); (list.s ??= []).push(new Uint8Array(r.bytes())); break;
      case 3: scalars<Int64>(r, wire, WIRE_VARINT, (p) => p.int64(), (list.i ??= [])); break;
      case 4: scalars(r, wire, WIRE_FIXED32, (p) => p.float(), (list.f ??= [])); break;
      case 5: scalars(r, wire, WIRE_VARINT, (p) => p.bool(), (list.b ??= [])); break;
      case 6: scalars(r, wire, WIRE_VARINT, (p) => p.int32(), (list.type ??= [])); break;
      case 7: expectWire(field, wire, WIRE_LEN); (list.shape ??= []).push(decodeShape(r.sub())); break;
      case 8: expectWire(field, wire, WIRE_LEN); (list.tensor ??= []).push(decodeTensor(r.sub(), limits)); break;
      case 9: expectWire(field, wire, WIRE_LEN); (list.func ??= []).push(decodeNameAttrList(r.sub(), limits)); break;
      default: r.skip(wire);
    }
  }
  return list;
}

function decodeNameAttrList(r: ProtoReader, limits: DecodeLimits): NameAttrList {
  const out: NameAttrList = { name: '', attr: {} };
  while (!r.eof()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WIRE_LEN) out.name = r.string();
    else if (field === 2 && wire === WIRE_LEN) addAttrEntry(r.sub(), out.attr, limits);
    else r.skip(wire);
  }
  return out;
}

/** One map<string, AttrValue> entry into `attr` (a repeated key keeps its first place, last value). */
export function addAttrEntry(r: ProtoReader, attr: Record<string, AttrValue>, limits: DecodeLimits): void {
  let key = '';
  let value: AttrValue = { kind: 'none' };
  while (!r.eof()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WIRE_LEN) key = decoder.decode(r.bytes());
    else if (field === 2 && wire === WIRE_LEN) value = decodeAttrValue(r.sub(), limits);
    else r.skip(wire);
  }
  if (key === '__proto__') throw new CodecError('attribute name "__proto__" is not allowed');
  attr[key] = value;
}

export function writeAttrMap(w: ProtoWriter, field: number, attr: Record<string, AttrValue>): void {
  for (const [key, value] of Object.entries(attr)) {
    // Map entries always carry key and value, even when empty (as protobuf C++ writes them).
    w.fork().bytesField(1, encodeUtf8(key)).fork();
    writeAttrValueFields(w, value);
    w.ldelim(2).ldelim(field);
  }
}

export function writeAttrValueFields(w: ProtoWriter, a: AttrValue): void {
  switch (a.kind) {
    case 'list': w.fork(); writeListFields(w, a.value); w.ldelim(1); break;
    case 's': w.bytesField(2, a.value); break;
    case 'i': w.tag(3, WIRE_VARINT).int64(a.value); break;
    case 'f': w.floatField(4, a.value); break;
    case 'b': w.tag(5, WIRE_VARINT).bool(a.value); break;
    case 'type': w.tag(6, WIRE_VARINT).int32(a.value); break;
    case 'shape': w.fork(); writeShapeFields(w, a.value); w.ldelim(7); break;
    case 'tensor': w.fork(); writeTensorFields(w, a.value); w.ldelim(8); break;
    case 'placeholder': w.stringField(9, a.value); break;
    case 'func': w.fork(); writeNameAttrListFields(w, a.value); w.ldelim(10); break;
    case 'none': break;
  }
}

function writeNameAttrListFields(w: ProtoWriter, n: NameAttrList): void {
  w.optString(1, n.name);
  writeAttrMap(w, 2, n.attr);
}

function packedInts(w: ProtoWriter, field: number, values: readonly (number | bigint)[] | undefined, signed32 = false): void {
  if (!values || values.length === 0) return;
  const get = (i: number) => (signed32 ? (values[i] as number) | 0 : values[i]);
  let size = 0;
  for (let i = 0; i < values.length; i++) size += varintSize(get(i));
  w.packedVarints(field, values.length, get, size);
}

function writeListFields(w: ProtoWriter, l: ListValue): void {
  for (const s of l.s ?? []) w.bytesField(2, s);
  packedInts(w, 3, l.i);
  if (l.f && l.f.length > 0) {
    w.tag(4, WIRE_LEN).uint32(l.f.length * 4);
    for (const f of l.f) w.float(f);
  }
  packedInts(w, 5, l.b?.map((b) => (b ? 1 : 0)));
  packedInts(w, 6, l.type, true);
  for (const s of l.shape ?? []) {
    w.fork();
    writeShapeFields(w, s);
    w.ldelim(7);
  }
  for (const t of l.tensor ?? []) {
    w.fork();
    writeTensorFields(w, t);
    w.ldelim(8);
  }
  for (const f of l.func ?? []) {
    w.fork();
    writeNameAttrListFields(w, f);
    w.ldelim(9);
  }
}
