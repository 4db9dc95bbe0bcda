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
import { FieldInfo, Kind, typeInfo } from './text-proto-fields';
import { FrameStack, Message } from './text-proto-frames';
import { TextScanner } from './text-scanner';

/**
 * Deepest nesting a record or .cfg may have. Their schemas nest at most 4 levels; the
 * parser and the line lookup recurse per level, so a file nested 40,000 deep would
 * overflow the stack or take quadratic time: text-proto.ts refuses it with one linear
 * scan before protobufjs parses. The fast path stops there too and leaves it to that.
 */
export const MAX_TEXT_PROTO_DEPTH = 32;

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
export function parseSimple(type: protobuf.Type, source: string | Uint8Array): { message: Message } | { line: number } {
  const s = new TextScanner(asBuffer(source));
  const rootInfo = typeInfo(type);
  if (!rootInfo.simple) return { line: 1 };
  const root: Message = {}; // absent repeated fields stay absent (readers use `?? []`)
  const stack = new FrameStack();
  let current = stack.push(rootInfo.fields, root);
  for (;;) {
    s.skipSpace();
    if (s.atEnd) {
      if (stack.depth > 1) return { line: s.line };
      stack.pop();
      return { message: root };
    }
    if (s.skip(125 /* } */)) {
      if (stack.depth === 1) return { line: s.line }; // a '}' with nothing open
      current = stack.pop()!;
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
      if (!info.simple || stack.depth > MAX_TEXT_PROTO_DEPTH || !s.skip(123 /* { */)) return { line: s.line };
      const child: Message = {};
      if (!current.store(field, child)) return { line: s.line };
      current = stack.push(info.fields, child);
    } else if (!colon) {
      return { line: s.line };
    } else if (field.kind === Kind.Float || field.kind === Kind.Int) {
      // Into s.number (read in place: a call returning it would box it).
      const taken = field.kind === Kind.Float ? s.readFloat() : s.readInt(field.min, field.max);
      if (!taken || !current.storeNumber(field, s)) return { line: s.line };
    } else {
      const value = readOther(s, field);
      if (value === undefined || !current.store(field, value)) return { line: s.line };
    }
  }
}
