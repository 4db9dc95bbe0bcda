/**
 * What the text-format fast path (text-proto-fast.ts) needs to know of a message type's
 * fields, worked out once per type: how to read each field's value, and whether the
 * fast path may take the field at all.
 */
import type * as protobuf from 'protobufjs/light';

export enum Kind { Float, Int, Bool, String, Message, Other }

export interface FieldInfo {
  name: string;
  /** The name's bytes, to compare with the file's without making a string. */
  nameBytes: Uint8Array;
  kind: Kind;
  repeated: boolean;
  /** Range of an Int field. */
  min: number;
  max: number;
  /** Type of a Message field. */
  type: protobuf.Type | undefined;
}

export interface TypeInfo {
  fields: FieldInfo[];
  /** False when protobufjs checks more than the fields met (a required field may be missing). */
  simple: boolean;
}

const INT_RANGE: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
};

/** The fast path's kind of a field; Other stops it when the field is met. */
function kindOf(field: protobuf.Field): Kind {
  // Maps, groups and oneof members (protobufjs refuses two of one oneof) need protobufjs's rules.
  if (field.map || field.delimited || field.partOf) return Kind.Other;
  const resolved = field.resolve().resolvedType;
  if (resolved) return 'fields' in resolved ? Kind.Message : Kind.Other; // an enum: not taken
  if (field.type === 'float' || field.type === 'double') return Kind.Float;
  if (field.type === 'bool') return Kind.Bool;
  if (field.type === 'string') return Kind.String;
  return INT_RANGE[field.type] ? Kind.Int : Kind.Other; // 64-bit integers come back as Longs: not taken
}

/** One object shape for every field, so the reads in the parse loop stay monomorphic. */
function fieldInfo(field: protobuf.Field): FieldInfo {
  const kind = kindOf(field);
  const [min, max] = kind === Kind.Int ? INT_RANGE[field.type] : [0, 0];
  const type = kind === Kind.Message ? (field.resolvedType as protobuf.Type) : undefined;
  return { name: field.name, nameBytes: Buffer.from(field.name, 'latin1'), kind, repeated: field.repeated, min, max, type };
}

const typeInfos = new WeakMap<protobuf.Type, TypeInfo>();

export function typeInfo(type: protobuf.Type): TypeInfo {
  let info = typeInfos.get(type);
  if (!info) {
    info = { fields: type.fieldsArray.map(fieldInfo), simple: !type.fieldsArray.some((f) => f.required) };
    typeInfos.set(type, info);
  }
  return info;
}
