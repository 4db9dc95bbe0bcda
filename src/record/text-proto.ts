/**
 * Line numbers for protobuf text format. protobufjs's text parser reports a line for
 * syntax errors but not for value errors ("integer value out of range"), and parsed
 * messages carry no positions at all. This module recovers both, so every error about a
 * record or a .cfg file can name the line. It runs only when an error is being reported.
 *
 * Shared by src/record and src/config (both parse text protos).
 */
import * as protobuf from 'protobufjs/light';
import * as textformat from 'protobufjs/ext/textformat';
import { asBuffer, MAX_TEXT_PROTO_DEPTH, parseSimple } from './text-proto-fast';

export { MAX_TEXT_PROTO_DEPTH };

interface Token {
  kind: 'word' | 'string' | 'punct';
  value: string;
  line: number;
}

const PUNCT = new Set(['{', '}', '<', '>', ':', '[', ']', ',', ';']);

const WORD = /[^\s#"'{}<>:[\],;]+/y;
const SPACE = /[ \t\r\f\v]+/y;

/** A tolerant tokenizer: enough of the text-format grammar to find where fields are. Linear: sticky regexes, no per-character slices. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\n') {
      line++;
      i++;
    } else if (ch === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (ch === '"' || ch === "'") {
      const start = i++;
      while (i < text.length && text[i] !== ch && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      tokens.push({ kind: 'string', value: unquote(text.slice(start + 1, i)), line });
      i++;
    } else if (PUNCT.has(ch)) {
      tokens.push({ kind: 'punct', value: ch, line });
      i++;
    } else {
      SPACE.lastIndex = i;
      if (SPACE.test(text)) {
        i = SPACE.lastIndex;
        continue;
      }
      WORD.lastIndex = i;
      const m = WORD.exec(text);
      if (!m) {
        i++; // other white space (\u00a0 ...)
        continue;
      }
      tokens.push({ kind: 'word', value: m[0], line });
      i = WORD.lastIndex;
    }
  }
  return tokens;
}

/** Decodes the common escapes; exotic ones only matter for line lookup, never for data. */
function unquote(body: string): string {
  if (!body.includes('\\')) return body;
  const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', "'": "'", '\\': '\\' };
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '\\') {
      bytes.push(...Buffer.from(body[i], 'utf8'));
      continue;
    }
    const next = body[++i];
    const oct = /^[0-7]{1,3}/.exec(body.slice(i));
    if (oct) {
      bytes.push(parseInt(oct[0], 8) & 255);
      i += oct[0].length - 1;
    } else bytes.push(...Buffer.from(simple[next] ?? next ?? '', 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

interface Frame {
  prefix: string;
  counts: Map<string, number>;
  close: string;
  /** Set on a list frame: the repeated field the elements belong to. */
  listField?: string;
  parent?: Frame;
}

function nextPath(frame: Frame, name: string): string {
  const n = frame.counts.get(name) ?? 0;
  frame.counts.set(name, n + 1);
  return `${frame.prefix}${name}[${n}]`;
}

/**
 * Maps every field occurrence to its line. Paths index every field, singular or not:
 * `record[3].value[0].scale_w[1]`, `common_config[0].ifmr_quantize[0].search_step[0]`.
 * Elements of `field: [a, b]` lists are numbered like repeated occurrences.
 */
export function fieldLines(text: string): Map<string, number> {
  // Past the depth limit the parser refuses the file anyway: tokenize only the text before it.
  const deep = tooDeep(text);
  const tokens = tokenize(deep ? text.slice(0, deep.offset) : text);
  const lines = new Map<string, number>();
  const stack: Frame[] = [{ prefix: '', counts: new Map(), close: '' }];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    // Paths grow with depth: past the limit the parser refuses the file anyway, and going on would be quadratic.
    if (stack.length > MAX_TEXT_PROTO_DEPTH + 1) break;
    const frame = stack[stack.length - 1];
    if (t.kind === 'punct' && t.value === frame.close) {
      stack.pop();
      continue;
    }
    if (t.kind === 'punct' && (t.value === ',' || t.value === ';' || t.value === ':')) continue;
    if (frame.listField !== undefined) {
      const path = nextPath(frame.parent!, frame.listField);
      lines.set(path, t.line);
      if (t.value === '{' || t.value === '<') stack.push(messageFrame(path, t.value));
      continue;
    }
    if (t.kind !== 'word') continue;
    let j = i + 1;
    if (tokens[j]?.value === ':') j++;
    const open = tokens[j];
    if (open?.value === '[') {
      stack.push({ prefix: '', counts: new Map(), close: ']', listField: t.value, parent: frame });
    } else {
      const path = nextPath(frame, t.value);
      lines.set(path, t.line);
      if (open?.value === '{' || open?.value === '<') stack.push(messageFrame(path, open.value));
      else while (tokens[j + 1]?.kind === 'string' && open?.kind === 'string') j++; // "a" "b" concatenation
    }
    i = j;
  }
  return lines;
}

function messageFrame(path: string, open: string): Frame {
  return { prefix: `${path}.`, counts: new Map(), close: open === '{' ? '}' : '>' };
}

/** Splits protobufjs's "message (line N)" into its parts. */
function splitLine(message: string): { message: string; line?: number } {
  const m = /^(.*) \(line (\d+)\)$/s.exec(message);
  return m ? { message: m[1], line: Number(m[2]) } : { message };
}

/** 1-based number of the first line n such that lines[0..n) fails with `message`, or undefined. */
function firstFailingPrefix(lines: string[], failsSame: (text: string) => boolean): number | undefined {
  if (!failsSame(lines.join('\n'))) return undefined;
  let lo = 1;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (failsSame(lines.slice(0, mid).join('\n'))) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The line of a parse error protobufjs reports without one. It parses sequentially and
 * tokens never span lines, so a prefix ending after line L fails with the same message
 * exactly when L is at or past the bad token. Each top-level field is tried alone first
 * (linear in the text, and a record file can have 10^5 lines), then the prefix is
 * bisected within it; errors that need context (a singular top-level field given twice)
 * fall back to bisecting prefixes of the whole text.
 */
function locate(type: protobuf.Type, text: string, message: string, hint: number): number | undefined {
  const failsSame = (chunk: string): boolean => {
    try {
      textformat.fromText(type, chunk);
      return false;
    } catch (e) {
      return e instanceof Error && e.message === message;
    }
  };
  const lines = text.split('\n');
  // Usually the error is on the first line the fast path could not take (`hint`): two parses confirm it.
  if (failsSame(lines.slice(0, hint).join('\n')) && (hint === 1 || !failsSame(lines.slice(0, hint - 1).join('\n')))) return hint;
  const starts = [...new Set([...fieldLines(text)].filter(([path]) => !path.includes('.')).map(([, line]) => line))].sort((a, b) => a - b);
  for (let k = 0; k < starts.length; k++) {
    const segment = lines.slice(starts[k] - 1, (starts[k + 1] ?? lines.length + 1) - 1);
    const n = failsSame(segment.join('\n')) ? firstFailingPrefix(segment, failsSame) : undefined;
    if (n !== undefined) return starts[k] + n - 1;
  }
  return firstFailingPrefix(lines, failsSame);
}

/** ".Pkg.Type: unknown field 'x'" → "unknown field 'x' in Type"; ".Type.field: ..." → "field: ...". */
function readable(message: string): string {
  const m = /^\.(?:\w+\.)*(\w+): (.*)$/s.exec(message);
  if (!m) return message;
  return m[2].startsWith('unknown field') ? `${m[2]} in ${m[1]}` : `${m[1]}: ${m[2]}`;
}

export interface TextParseFailure {
  message: string;
  line?: number;
}

/**
 * The fields a message really has. protobufjs messages answer unset fields from their
 * prototype's defaults (batch_num reads 0), which would hide "absent".
 */
function ownFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ownFields);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = ownFields((value as Record<string, unknown>)[key]);
  return out;
}

/** Where nesting first goes deeper than MAX_TEXT_PROTO_DEPTH (line, and offset of the brace), skipping strings and comments. */
function tooDeep(text: string): { line: number; offset: number } | undefined {
  let depth = 0;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) line++;
    else if (ch === 35 /* # */) {
      while (i + 1 < text.length && text.charCodeAt(i + 1) !== 10) i++;
    } else if (ch === 34 || ch === 39 /* quotes */) {
      while (i + 1 < text.length && text.charCodeAt(i + 1) !== ch && text.charCodeAt(i + 1) !== 10) i += text.charCodeAt(i + 1) === 92 ? 2 : 1;
      i++;
    } else if (ch === 123 || ch === 60 || ch === 91 /* { < [ */) {
      if (++depth > MAX_TEXT_PROTO_DEPTH) return { line, offset: i };
    } else if (ch === 125 || ch === 62 || ch === 93 /* } > ] */) depth--;
  }
  return undefined;
}

/**
 * The text of a file's bytes (UTF-8) or of a string, without a leading byte order mark:
 * what both parsers and the line lookup read (the fast path skips the BOM's bytes itself).
 * Line numbers stay the same, the BOM being on the first line.
 */
export function decodeText(source: string | Uint8Array): string {
  const text = typeof source === 'string' ? source : asBuffer(source).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses text format (a file's bytes or its text) with protobufjs; a failure comes back
 * with its line when one exists, and the decoded text (no BOM) the line refers to. A leading byte order mark is skipped, by both parsers.
 * A success parsed by protobufjs carries that text too, so a caller looking up lines for
 * errors of its own does not decode the bytes a second time.
 */
export function parseTextProto(
  type: protobuf.Type,
  source: string | Uint8Array,
): { ok: true; message: Record<string, unknown>; text?: string } | { ok: false; error: TextParseFailure; text: string } {
  // The fast path first, on the bytes: it keeps its own stack and stops at the depth
  // limit, so the depth scan (8 ms on a 74-layer record) guards protobufjs's recursive
  // parser only, and the text is decoded only for protobufjs.
  const fast = parseSimple(type, source);
  if ('message' in fast) return { ok: true, message: fast.message };
  const text = decodeText(source);
  const deep = tooDeep(text);
  if (deep !== undefined) return { ok: false, error: { message: `nesting deeper than ${MAX_TEXT_PROTO_DEPTH} levels of braces or brackets`, line: deep.line }, text };
  try {
    return { ok: true, message: ownFields(textformat.fromText(type, text)) as Record<string, unknown>, text };
  } catch (e) {
    const raw = e instanceof Error ? e.message : String(e);
    const split = splitLine(raw);
    const line = split.line ?? locate(type, text, raw, fast.line);
    return { ok: false, error: { message: readable(split.message), line }, text };
  }
}
