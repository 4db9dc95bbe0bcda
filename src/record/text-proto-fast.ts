/**
 * A fast path for protobuf text format: one pass over the file's bytes for the subset of
 * the grammar our writers use, with any spacing, line breaks and `#` comments: `name {`
 * (or `name: {`), `name: value`, `}`; decimal numbers, true/false, plain ASCII strings.
 * A 74-layer record (48,000 lines) parses in ~3 ms this way, against ~60 ms through
 * protobufjs's general text parser. At anything else (escapes, lists, separators, octal,
 * inf, an unknown or repeated singular field, a malformed token) it stops, and the caller
 * parses the text with protobufjs, which gives the exact value or the error and its line.
 * What it takes it reads exactly as protobufjs does (pinned by the tests against it).
 * Driven by the message type, so fields added to a schema are handled without a change here.
 */
import type * as protobuf from 'protobufjs/light';
import { TextScanner } from './text-scanner';

type Message = Record<string, unknown>;

/**
 * Deepest nesting a record or .cfg may have. Their schemas nest at most 4 levels; the
 * parser and the line lookup recurse per level, so a file nested 40,000 deep would
 * overflow the stack or take quadratic time: text-proto.ts refuses it with one linear
 * scan before protobufjs parses. The fast path stops there too and leaves it to that.
 */
export const MAX_TEXT_PROTO_DEPTH = 32;

enum Kind { Float, Int, Bool, String, Message, Other }

interface FieldInfo {
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

interface TypeInfo {
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

function typeInfo(type: protobuf.Type): TypeInfo {
  let info = typeInfos.get(type);
  if (!info) {
    info = { fields: type.fieldsArray.map(fieldInfo), simple: !type.fieldsArray.some((f) => f.required) };
    typeInfos.set(type, info);
  }
  return info;
}

/**
 * A new list for a number field, from an array literal of its own: V8 starts the arrays of
 * one literal in the most general element kind that literal's arrays have held, so lists
 * made where message lists are made would hold every number boxed on the heap.
 */
const newNumberList = (): number[] => [];

/** An open message: its fields, the object being filled, and its repeated fields' lists. */
class Frame {
  /** The field read last: repeated fields come in runs, so the next name is usually this one. */
  last: FieldInfo | undefined;
  private readonly lists = new Map<FieldInfo, unknown[]>();
  /** The list list() returned last, and whose it is. */
  private lastList: unknown[] | undefined;
  private lastListField: FieldInfo | undefined;

  constructor(readonly fields: FieldInfo[], readonly message: Message) {}

  /** The list of repeated `field`, created on first use. */
  private list(field: FieldInfo): unknown[] {
    if (field === this.lastListField) return this.lastList!;
    let list = this.lists.get(field);
    if (!list) {
      list = field.kind === Kind.Float || field.kind === Kind.Int ? newNumberList() : [];
      this.lists.set(field, (this.message[field.name] = list));
    }
    this.lastListField = field;
    return (this.lastList = list);
  }

  /** Sets `field`; false when a singular field would be given twice (protobufjs's error). */
  store(field: FieldInfo, value: unknown): boolean {
    if (field.repeated) {
      this.list(field).push(value);
      return true;
    }
    if (Object.prototype.hasOwnProperty.call(this.message, field.name)) return false;
    this.message[field.name] = value;
    return true;
  }

  /**
   * store() for the number the scanner read. Kept apart, and handed the scanner rather than
   * the number, so a double is never boxed on its way into the list (as an argument it would be).
   */
  storeNumber(field: FieldInfo, s: TextScanner): boolean {
    if (field.repeated) {
      (this.list(field) as number[]).push(s.number);
      return true;
    }
    return this.store(field, s.number);
  }
}

/** Reads the number of a Float or Int field into `s.number`; false when the fast path does not take the token. */
function readNumber(s: TextScanner, field: FieldInfo): boolean {
  return field.kind === Kind.Float ? s.readFloat() : s.readInt(field.min, field.max);
}

/** Reads a bool or string value; undefined when the fast path does not take the token. */
function readOther(s: TextScanner, field: FieldInfo): boolean | string | undefined {
  if (field.kind === Kind.Bool) return s.readBool();
  if (field.kind === Kind.String) return s.readString();
  return undefined;
}

/** Bytes as a Buffer without a copy; a string as its UTF-8 bytes. */
export function asBuffer(source: string | Uint8Array): Buffer {
  if (typeof source === 'string') return Buffer.from(source, 'utf8');
  return Buffer.isBuffer(source) ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
}

/** The message when the fast path takes the whole text, else the line (1-based) of the first token it does not take. */
function parseSimple(type: protobuf.Type, source: string | Uint8Array): { message: Message } | { line: number } {
  const s = new TextScanner(asBuffer(source));
  const rootInfo = typeInfo(type);
  if (!rootInfo.simple) return { line: 1 };
  const root: Message = {}; // absent repeated fields stay absent (readers use `?? []`)
  const open: Frame[] = []; // the messages around the current one
  let current = new Frame(rootInfo.fields, root);
  for (;;) {
    s.skipSpace();
    if (s.atEnd) return open.length === 0 ? { message: root } : { line: s.line };
    if (s.skip(125 /* } */)) {
      if (open.length === 0) return { line: s.line };
      current = open.pop()!;
      continue;
    }
    const field = s.readName(current.fields, current.last);
    if (!field) return { line: s.line };
    current.last = field;
    s.skipSpace();
    const colon = s.skip(58 /* : */);
    if (colon) s.skipSpace();
    if (field.kind === Kind.Message) {
      const info = typeInfo(field.type!);
      if (!info.simple || open.length >= MAX_TEXT_PROTO_DEPTH || !s.skip(123 /* { */)) return { line: s.line };
      const child: Message = {};
      if (!current.store(field, child)) return { line: s.line };
      open.push(current);
      current = new Frame(info.fields, child);
    } else if (!colon) {
      return { line: s.line };
    } else if (field.kind === Kind.Float || field.kind === Kind.Int) {
      if (!readNumber(s, field) || !current.storeNumber(field, s)) return { line: s.line };
    } else {
      const value = readOther(s, field);
      if (value === undefined || !current.store(field, value)) return { line: s.line };
    }
  }
}

/** The message of `source` when the fast path takes all of it, else undefined (parse it with protobufjs). */
export function parseSimpleTextProto(type: protobuf.Type, source: string | Uint8Array): Message | undefined {
  const r = parseSimple(type, source);
  return 'message' in r ? r.message : undefined;
}

/**
 * The first line (1-based) the fast path cannot take, or undefined when it takes it all.
 * Everything before it is valid text format, so a parse error is usually there: the line
 * lookup tries it before bisecting.
 */
export function firstNonSimpleLine(type: protobuf.Type, source: string | Uint8Array): number | undefined {
  const r = parseSimple(type, source);
  return 'line' in r ? r.line : undefined;
}
