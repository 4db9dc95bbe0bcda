/** AttrValue, AttrValue.ListValue, NameAttrList and attr maps (protobufjs messages) ⇄ the IR's AttrValue union. */
import type { AttrValue, ListValue, NameAttrList } from '../ir';
import { CodecError, copyBytes, int64FromPb, int64ToPb } from './pb';
import type { PbAttrValue, PbList, PbNameAttrList } from './pb';
import { shapeFromMessage, shapeToMessage, tensorFromMessage, tensorToMessage } from './tensor-codec';
import type { DecodeLimits } from './tensor-codec';

/** The oneof member that is set: protobufjs names it in `value` (the last one read wins, as in protobuf). */
export function attrFromMessage(m: PbAttrValue, limits: DecodeLimits): AttrValue {
  switch (m.value) {
    case 'list': return { kind: 'list', value: listFromMessage(m.list!, limits) };
    case 's': return { kind: 's', value: copyBytes(m.s) };
    case 'i': return { kind: 'i', value: int64FromPb(m.i) };
    case 'f': return { kind: 'f', value: Math.fround(m.f!) }; // model.json numbers are doubles
    case 'b': return { kind: 'b', value: m.b! };
    case 'type': return { kind: 'type', value: m.type! };
    case 'shape': return { kind: 'shape', value: shapeFromMessage(m.shape) };
    case 'tensor': return { kind: 'tensor', value: tensorFromMessage(m.tensor!, limits) };
    case 'placeholder': return { kind: 'placeholder', value: m.placeholder! };
    case 'func': return { kind: 'func', value: nameAttrListFromMessage(m.func!, limits) };
    default: return { kind: 'none' };
  }
}

/** Only the fields that hold values: an empty list is `{}`. */
function listFromMessage(m: PbList, limits: DecodeLimits): ListValue {
  const list: ListValue = {};
  if (m.s?.length) list.s = m.s.map(copyBytes);
  if (m.i?.length) list.i = m.i.map((v) => int64FromPb(v));
  if (m.f?.length) list.f = m.f.map(Math.fround);
  if (m.b?.length) list.b = m.b.slice();
  if (m.type?.length) list.type = m.type.slice();
  if (m.shape?.length) list.shape = m.shape.map(shapeFromMessage);
  if (m.tensor?.length) list.tensor = m.tensor.map((t) => tensorFromMessage(t, limits));
  if (m.func?.length) list.func = m.func.map((f) => nameAttrListFromMessage(f, limits));
  return list;
}

function nameAttrListFromMessage(m: PbNameAttrList, limits: DecodeLimits): NameAttrList {
  return { name: m.name ?? '', attr: attrMapFromMessage(m.attr, limits) };
}

/** A map<string, AttrValue> in the order protobufjs read it (a repeated key keeps its first place, last value). */
export function attrMapFromMessage(m: Record<string, PbAttrValue> | undefined, limits: DecodeLimits): Record<string, AttrValue> {
  const attr: Record<string, AttrValue> = {};
  if (!m) return attr;
  for (const key of Object.keys(m)) {
    if (key === '__proto__') throw new CodecError('attribute name "__proto__" is not allowed');
    attr[key] = attrFromMessage(m[key], limits);
  }
  return attr;
}

/**
 * Object key order is the order protobufjs writes map entries in. A null-prototype object,
 * so no key (not even "__proto__") can change what the object is.
 */
export function attrMapToMessage(attr: Record<string, AttrValue>): Record<string, PbAttrValue> {
  const out: Record<string, PbAttrValue> = Object.create(null);
  for (const key of Object.keys(attr)) out[key] = attrToMessage(attr[key]);
  return out;
}

/** Exactly one oneof member is set; oneof members are written even when default (0, false, ""). */
export function attrToMessage(a: AttrValue): PbAttrValue {
  switch (a.kind) {
    case 'list': return { list: listToMessage(a.value) };
    case 's': return { s: a.value };
    case 'i': return { i: int64ToPb(a.value) };
    case 'f': return { f: a.value };
    case 'b': return { b: a.value };
    case 'type': return { type: a.value };
    case 'shape': return { shape: shapeToMessage(a.value) };
    case 'tensor': return { tensor: tensorToMessage(a.value) };
    case 'placeholder': return { placeholder: a.value };
    case 'func': return { func: nameAttrListToMessage(a.value) };
    case 'none': return {};
  }
}

function nameAttrListToMessage(n: NameAttrList): PbNameAttrList {
  const m: PbNameAttrList = { attr: attrMapToMessage(n.attr) };
  if (n.name) m.name = n.name;
  return m;
}

function listToMessage(l: ListValue): PbList {
  const m: PbList = {};
  if (l.s?.length) m.s = l.s;
  if (l.i?.length) m.i = l.i.map((v) => int64ToPb(v));
  if (l.f?.length) m.f = l.f;
  if (l.b?.length) m.b = l.b;
  if (l.type?.length) m.type = l.type;
  if (l.shape?.length) m.shape = l.shape.map(shapeToMessage);
  if (l.tensor?.length) m.tensor = l.tensor.map(tensorToMessage);
  if (l.func?.length) m.func = l.func.map(nameAttrListToMessage);
  return m;
}
