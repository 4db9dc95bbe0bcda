/**
 * The fast path for simply written text protos gives exactly protobufjs's message, and
 * leaves everything else to protobufjs (which reports errors with their line).
 */
import type * as protobuf from 'protobufjs/light';
import * as textformat from 'protobufjs/ext/textformat';
import { amctConfigType } from '../../src/config/cfg-schema';
import { formatRecord } from '../../src/record';
import { scaleOffsetRecordType } from '../../src/record/schema';
import { parseSimple } from '../../src/record/text-proto-fast';
import { rng } from '../helpers/random';
// protobufjs gives some absent repeated fields as empty lists; readers treat absent and empty alike (`?? []`).
import { own } from './generated-records';

/** The fast path's message, or undefined when it leaves the text to protobufjs. */
function fastMessage(type: protobuf.Type, text: string): Record<string, unknown> | undefined {
  const r = parseSimple(type, text);
  return 'message' in r ? r.message : undefined;
}

test('records as formatRecord writes them parse to protobufjs\'s message, every field included', () => {
  const r = rng(11);
  const records = Array.from({ length: 30 }, (_, i) => {
    const n = 1 + Math.floor(r() * 40);
    return {
      key: `block_${i}/conv ${i}:0`,
      scaleD: r() * 10 ** (Math.floor(r() * 20) - 10),
      offsetD: Math.floor(r() * 256) - 128,
      scaleW: Array.from({ length: n }, () => r() * 10 ** (Math.floor(r() * 40) - 20)),
      offsetW: Array.from({ length: n }, () => Math.floor(r() * 3) - 1),
      shiftBit: i % 2 ? Array.from({ length: n }, () => Math.floor(r() * 16)) : [],
      ...(i % 3 === 0 ? { skipFusion: i % 2 === 0, dstType: 'INT8', actType: 'INT8', wtsType: 'INT8' } : {}),
    };
  });
  const text = formatRecord(records);
  const fast = fastMessage(scaleOffsetRecordType(), text);
  expect(fast).toBeDefined();
  expect(fast).toEqual(own(textformat.fromText(scaleOffsetRecordType(), text)));
});

test('a simply written .cfg parses to protobufjs\'s message', () => {
  const text = 'batch_num: 2\nactivation_offset: false\nskip_layers: "a/b"\ncommon_config {\n  ifmr_quantize {\n    search_step: 0.02\n    search_range_end: 1.5\n  }\n}\noverride_layer_types {\n  layer_type: "Conv2D"\n  calibration_config {\n    hfmg_quantize {\n      num_of_bins: 1024\n    }\n  }\n}\n';
  const fast = fastMessage(amctConfigType(), text);
  expect(fast).toBeDefined();
  expect(fast).toEqual(own(textformat.fromText(amctConfigType(), text)));
});

test.each([
  ['a comment', 'record {\n  key: "a" # the layer\n}'],
  ['two fields on a line', 'record { key: "a" }'],
  ['`name: {` and no spaces', 'record:{key:"a"value{scale_d:1e-5}}'],
  ['CRLF, tabs, \\v and \\f', 'record {\r\n\tkey: "a"\r\n\vvalue\f{ scale_w: .5 scale_w: 5. }\r\n}'],
  ['no final line break', 'record {\n  key: "a"\n}'],
  ['-0 for an int (protobufjs reads 0) and a float (-0)', 'record {\n  value { offset_d: -0 scale_d: -0 }\n}'],
])('%s is taken, read as protobufjs reads it', (_what, text) => {
  const fast = fastMessage(scaleOffsetRecordType(), text);
  expect(fast).toBeDefined();
  expect(fast).toEqual(own(textformat.fromText(scaleOffsetRecordType(), text)));
});

test.each([
  ['an escape', 'record {\n  key: "a\\"b"\n}'],
  ['a list', 'record {\n  value {\n    scale_w: [1, 2]\n  }\n}'],
  ['an unknown field', 'record {\n  kee: "a"\n}'],
  ['a singular field twice', 'record {\n  key: "a"\n  key: "b"\n}'],
  ['an int out of range', 'record {\n  value {\n    offset_d: 2147483648\n  }\n}'],
  ['a negative unsigned', 'record {\n  value {\n    shift_bit: -1\n  }\n}'],
  ['inf', 'record {\n  value {\n    scale_d: inf\n  }\n}'],
  ['an unclosed message', 'record {\n  key: "a"\n'],
  ['a stray brace', '}\n'],
  ['an octal int (8 to protobufjs)', 'record {\n  value {\n    offset_d: 010\n  }\n}'],
  ['a float with a leading zero (refused by protobufjs)', 'record {\n  value {\n    scale_d: 01.5\n  }\n}'],
  ['a float suffix', 'record {\n  value {\n    scale_d: 1.5f\n  }\n}'],
  ['a space after the minus sign', 'record {\n  value {\n    scale_d: - 1\n  }\n}'],
  ['a name of Object.prototype', 'constructor: 1\n'],
  ['a non-ASCII string', 'record {\n  key: "é"\n}'],
  ['no-break space before a field', 'record {\n\u00a0 key: "a"\n}'],
])('%s is left to protobufjs', (_what, text) => {
  expect(fastMessage(scaleOffsetRecordType(), text)).toBeUndefined();
});
