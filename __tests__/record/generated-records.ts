/**
 * Seeded random record texts for pinning the fast path against protobufjs: many layers,
 * odd spacing (tabs, \v, \f, CRLF, none at all where the grammar allows), comments,
 * repeated fields interleaved, every number spelling the text format has (and some it
 * refuses), strings with escapes, and a share of damaged files (unknown fields, cut at a
 * random byte, stray tokens, a BOM, lists, separators).
 */
import { formatFloat32 } from '../../src/record';

type Rand = () => number;

const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, items: readonly T[]): T => items[int(r, items.length)];
const chance = (r: Rand, p: number) => r() < p;

/** A random float32 over many magnitudes, as the writer prints it. */
function writtenFloat(r: Rand): string {
  return formatFloat32(Math.fround(r() * 10 ** (int(r, 60) - 30)) || 1);
}

/** Digits: `n` of them, the first not 0 when `lead` is false. */
function digits(r: Rand, n: number, lead = true): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(i === 0 && !lead ? 1 + int(r, 9) : int(r, 10));
  return s;
}

/** A float token protobufjs's grammar takes: integer part, fraction, exponent in every combination. */
export function floatSpelling(r: Rand): string {
  const sign = chance(r, 0.2) ? '-' : '';
  const intPart = pick(r, ['', '0', digits(r, 1 + int(r, 3), false), digits(r, 1 + int(r, 25), false)]);
  const fraction = intPart === '' || chance(r, 0.7) ? '.' + digits(r, (intPart === '' ? 1 : 0) + int(r, pick(r, [4, 12, 30]))) : '';
  const exponent = chance(r, 0.4) ? pick(r, ['e', 'E']) + pick(r, ['', '+', '-']) + digits(r, 1 + int(r, pick(r, [2, 3, 4]))) : '';
  return sign + intPart + fraction + exponent;
}

/** Number spellings at the edges: exactness limits, -0, overflow, underflow. */
export const EDGE_FLOATS = [
  '0', '-0', '0.0', '-0.0', '0e0', '.0', '0.', '-.0e-0', '1', '1.', '.5', '5.e3', '1e22', '1e23', '1e-22', '1e-23',
  '9007199254740991', '9007199254740992', '9007199254740993', '9007199254740991e22', '9007199254740993e-22',
  '123456789012345678', '0.1', '0.2', '0.3', '2.2250738585072014e-308', '2.2250738585072011e-308', '4.9e-324',
  '2.4703282292062327e-324', '2.4703282292062328e-324', '1.7976931348623157e308', '1.7976931348623159e308', '1e309',
  '1e-400', '1e400', '1e0000000000000000001', '1e-99999999999', '3.4028234663852886e38', '3.40282347e+38', '1.4013e-45',
  '0.0235294122', '0.00414686929', '1.5e-05', '1E+05', '1e+010', '0.000000000000000000000000000001234', '1000000000000000000000000',
];

/** Float tokens only protobufjs reads (or refuses): the fast path must leave them to it. */
export const OTHER_FLOATS = ['inf', '-inf', 'Infinity', '-Infinity', 'nan', 'NaN', '1f', '1.5F', '.5f', '0x10', '01.5', '00', '- 1', '1e', '1e+', '.', '-', '1.2.3', '1.5x', '+1'];

export const INTS = ['0', '-0', '1', '-1', '127', '-128', '-129', '128', '2147483647', '-2147483648', '2147483648', '99999999999', '010', '0x1f', '0X1F', '00', '1.0', '1e2', '- 5', '-', 'true'];
export const UINTS = ['0', '1', '16', '17', '4294967295', '4294967296', '-1', '-0', '017', '0x10', '1.5'];
export const BOOLS = ['true', 'false', 'True', 'False', 't', 'f', '1', '0', '2', 'yes', '-true'];
export const STRINGS = ['"INT8"', '"INT4"', '""', "'INT8'", '"IN\\x54\\0648"', '"a\\"b"', '"é"', '"a" "b"', '"tab\there"', '"#{}<>[]:"', '"\\303\\251"', '"unterminated'];

/** White space where the grammar needs none: often nothing, sometimes odd. */
function ws(r: Rand): string {
  return chance(r, 0.6) ? pick(r, ['', ' ']) : pick(r, ['\t', '\n', '\r\n', '  \n    ', '\v', '\f', '\r', ' # a comment: } { " \' é\n']);
}

interface Options {
  /** Probability of a spelling the fast path leaves to protobufjs (or a damaged token). */
  odd: number;
}

/** White space where tokens would otherwise merge (after a number or a word); sometimes none, or a separator. */
function sep(r: Rand, o: Options): string {
  if (chance(r, o.odd)) return pick(r, ['', ';', ',', ' ;', ', ']);
  return chance(r, 0.85) ? '\n    ' : pick(r, [' ', '\t', '\r\n', '\n\n', ' # comment\n', '\f']);
}


function floatValue(r: Rand, o: Options): string {
  if (chance(r, o.odd)) return pick(r, OTHER_FLOATS);
  return chance(r, 0.7) ? writtenFloat(r) : chance(r, 0.5) ? floatSpelling(r) : pick(r, EDGE_FLOATS);
}

/** The fields of one value message, repeated ones interleaved, in random order. */
function valueFields(r: Rand, o: Options): string[] {
  const fields: string[] = [];
  const put = (name: string, value: string) => fields.push(`${name}${ws(r)}:${ws(r)}${value}${sep(r, o)}`);
  const channels = int(r, 40);
  if (chance(r, 0.9)) put('scale_d', floatValue(r, o));
  if (chance(r, 0.8)) put('offset_d', chance(r, o.odd) ? pick(r, INTS) : String(int(r, 256) - 128));
  for (let c = 0; c < channels; c++) {
    put('scale_w', floatValue(r, o));
    if (chance(r, 0.9)) put('offset_w', chance(r, o.odd / 4) ? pick(r, INTS) : '0');
  }
  if (chance(r, 0.2)) put('shift_bit', chance(r, o.odd) ? pick(r, UINTS) : String(1 + int(r, 16)));
  if (chance(r, 0.2)) for (let c = int(r, 5); c > 0; c--) put('tensor_balance_factor', floatValue(r, o));
  if (chance(r, 0.2)) put('skip_fusion', chance(r, o.odd) ? pick(r, BOOLS) : pick(r, ['true', 'false']));
  for (const name of ['dst_type', 'act_type', 'wts_type']) {
    if (chance(r, 0.15)) fields.push(`${name}${ws(r)}:${ws(r)}${chance(r, o.odd) ? pick(r, STRINGS) : '"INT8"'}${ws(r)}`);
  }
  if (chance(r, o.odd / 3)) put(pick(r, ['scale_x', 'constructor', 'toString', '__proto__', 'scaleW']), '1');
  if (chance(r, o.odd / 3)) put('scale_d', '0.5'); // a singular field twice
  if (chance(r, o.odd / 3)) put('scale_w', '[1, 2.5]');
  // Shuffle in runs, so repeated fields come both in runs and interleaved.
  for (let i = fields.length - 1; i > 0; i--) {
    if (chance(r, 0.3)) {
      const j = int(r, i + 1);
      [fields[i], fields[j]] = [fields[j], fields[i]];
    }
  }
  return fields;
}

function key(r: Rand, i: number, o: Options): string {
  if (chance(r, o.odd / 2)) return pick(r, ['"dup"', "'single'", '"esc\\"aped"', '"oct\\141l"', '"é"', '"a" "b"', '""']);
  return `"block_${i}/conv${pick(r, ['', '/Conv2D', ':0', ' with space', '#hash', '{brace}'])}"`;
}

function entry(r: Rand, i: number, o: Options): string {
  const open = pick(r, ['{', '{', '{', ': {']);
  const valueOpen = chance(r, o.odd / 4) ? '<' : pick(r, ['{', '{', ': {']);
  const valueClose = valueOpen === '<' ? '>' : '}';
  const parts = [`record${ws(r)}${open}${ws(r)}`];
  if (!chance(r, o.odd / 4)) parts.push(`key${ws(r)}:${ws(r)}${key(r, i, o)}${ws(r)}`);
  if (chance(r, 0.95)) parts.push(`value${ws(r)}${valueOpen}${ws(r)}${valueFields(r, o).join('')}${valueClose}${ws(r)}`);
  if (chance(r, o.odd / 4)) parts.push(pick(r, [';', ',', '}', '{', ':', 'x', '"']));
  return parts.join('') + '}' + pick(r, ['\n', '\n', '', ' ', '\r\n', '\n# between records\n']);
}

/** One record file's text. `odd` is the share of odd spellings and damage (0: the fast path takes it all). */
export function recordText(r: Rand, odd: number): string {
  const o = { odd };
  const layers = 1 + int(r, 12);
  let text = '';
  for (let i = 0; i < layers; i++) text += entry(r, i, o);
  if (chance(r, odd / 2)) text = text.slice(0, int(r, text.length + 1)); // cut anywhere, even in a token
  if (chance(r, odd / 4)) text += pick(r, ['}', '{', 'record', 'record {', ':', '"', '#', '\n\n']);
  if (chance(r, 0.1)) text = '\ufeff' + text;
  if (chance(r, 0.1)) text = text.replace(/\n/g, '\r\n');
  if (chance(r, 0.2)) text = text.replace(/\s+$/, ''); // no final line break
  return text;
}

/** A message's own fields, as plain objects and arrays, without the empty lists protobufjs gives absent repeated fields. */
export const own = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(own)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).filter(([, x]) => !(Array.isArray(x) && x.length === 0)).map(([k, x]) => [k, own(x)]))
      : v;
