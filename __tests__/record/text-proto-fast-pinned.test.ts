/**
 * The fast path pinned against protobufjs on generated records (generated-records.ts):
 * whatever the fast path takes, protobufjs reads to the same message, every number bit
 * for bit; and parseRecord gives the same records, or the same error (class, code,
 * message, line, layer, field, hint), with the fast path as without it, that is as if
 * every file went through protobufjs. A divergence fails with the text that shows it.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as textformat from 'protobufjs/ext/textformat';
import { formatRecord, parseRecord, readRecord } from '../../src/record';
import { scaleOffsetRecordType } from '../../src/record/schema';
import { parseSimple } from '../../src/record/text-proto-fast';
import { rng } from '../helpers/random';
import { BOOLS, EDGE_FLOATS, floatSpelling, INTS, OTHER_FLOATS, own, recordText, STRINGS, UINTS } from './generated-records';

type ParseRecord = typeof parseRecord;

/**
 * The fast path of parseRecordWithoutFastPath: takes nothing, the first line is where to
 * look first. A mock, to check it is called: were it not, the comparisons below would
 * compare parseRecord with itself.
 */
const takesNothing = jest.fn(() => ({ line: 1 }));

/** parseRecord with the fast path switched off: every file goes through protobufjs. */
function parseRecordWithoutFastPath(): ParseRecord {
  let parse: ParseRecord | undefined;
  jest.isolateModules(() => {
    jest.doMock('../../src/record/text-proto-fast', () => ({
      ...jest.requireActual('../../src/record/text-proto-fast'),
      parseSimple: takesNothing,
    }));
    parse = require('../../src/record/parse').parseRecord;
  });
  jest.dontMock('../../src/record/text-proto-fast');
  return parse!;
}

const throughProtobufjs = parseRecordWithoutFastPath();

/** What parseRecord gives: the records in order, or the error's parts (classes differ between module instances). */
function outcome(parse: ParseRecord, source: string | Uint8Array): unknown {
  try {
    const records = parse(source, 'generated.txt');
    return { keys: [...records.keys()], records: [...records.values()] };
  } catch (e) {
    const { name, message, code, file, line, layer, field, hint } = e as Record<string, unknown>;
    return { error: { name, message, code, file, line, layer, field, hint } };
  }
}


/** protobufjs's message (the BOM skipped, as parseTextProto does). */
const protobufjsMessage = (text: string) => own(textformat.fromText(scaleOffsetRecordType(), text.replace(/^\ufeff/, '')));

/** The fast path's message for the text's bytes, or undefined when it leaves the text to protobufjs. */
const fastMessage = (text: string) => {
  const r = parseSimple(scaleOffsetRecordType(), Buffer.from(text, 'utf8'));
  return 'message' in r ? r.message : undefined;
};

describe.each([
  // what, share of odd spellings and damage, first seed, how many of the 300 files the fast path must take
  ['written spellings, odd spacing and comments', 0, 1000, 300],
  ['a few odd spellings and damaged files', 0.002, 2000, 30],
  ['many odd spellings and damaged files', 0.3, 3000, 1],
])('generated records: %s', (_what, odd, seed, minTaken) => {
  const texts = Array.from({ length: 300 }, (_, i) => recordText(rng(seed + i), odd));

  it('parseRecord gives the same records or the same error with and without the fast path, from bytes or text', () => {
    takesNothing.mockClear();
    for (const text of texts) {
      const expected = { text, outcome: outcome(throughProtobufjs, text) };
      expect({ text, outcome: outcome(parseRecord, Buffer.from(text, 'utf8')) }).toEqual(expected);
      expect({ text, outcome: outcome(parseRecord, text) }).toEqual(expected);
    }
    expect(takesNothing).toHaveBeenCalledTimes(texts.length); // throughProtobufjs did go without the fast path
  });

  it('what the fast path takes, protobufjs reads to the same message, number for number', () => {
    let taken = 0;
    for (const text of texts) {
      const fast = fastMessage(text);
      if (fast === undefined) continue;
      taken++;
      expect({ text, message: fast }).toEqual({ text, message: protobufjsMessage(text) });
    }
    expect(taken).toBeGreaterThanOrEqual(minTaken); // the generator exercises the fast path
  });
});

test('the generated files include errors of every kind parseRecord reports', () => {
  const codes = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const o = outcome(parseRecord, recordText(rng(4000 + i), [0, 0.002, 0.3][i % 3])) as { error?: { code: string } };
    if (o.error) codes.set(o.error.code, (codes.get(o.error.code) ?? 0) + 1);
  }
  expect([...codes.keys()].sort()).toEqual(['RECORD_INVALID', 'RECORD_PARSE_FAILED']);
  expect(codes.get('RECORD_PARSE_FAILED')).toBeGreaterThan(30);
});

test.each([
  ...[...EDGE_FLOATS, ...OTHER_FLOATS].flatMap((v) => [['scale_d', v], ['scale_w', v]]),
  ...INTS.map((v) => ['offset_d', v]),
  ...INTS.map((v) => ['offset_w', v]),
  ...UINTS.map((v) => ['shift_bit', v]),
  ...BOOLS.map((v) => ['skip_fusion', v]),
  ...STRINGS.map((v) => ['dst_type', v]),
])('%s: %s reads as protobufjs reads it, or is left to it', (field, value) => {
  const text = `record {\n  key: "conv"\n  value {\n    scale_d: 0.5\n    ${field}: ${value}\n  }\n}\n`.replace('scale_d: 0.5\n    scale_d', 'scale_d');
  const fast = fastMessage(text);
  if (fast !== undefined) expect(fast).toEqual(protobufjsMessage(text));
  expect(outcome(parseRecord, Buffer.from(text))).toEqual(outcome(throughProtobufjs, text));
});

test('every float spelling reads bit for bit as protobufjs reads it', () => {
  const r = rng(7);
  const spellings = [...EDGE_FLOATS, ...Array.from({ length: 20_000 }, () => floatSpelling(r))];
  const text = `record {\n  value {\n${spellings.map((s) => `    scale_w: ${s}\n`).join('')}  }\n}\n`;
  const fast = fastMessage(text) as { record: { value: { scale_w: number[] } }[] };
  expect(fast).toBeDefined();
  const general = (protobufjsMessage(text) as typeof fast).record[0].value.scale_w;
  const differ = spellings.filter((s, i) => !Object.is(fast.record[0].value.scale_w[i], general[i]));
  expect(differ).toEqual([]);
  expect(general).toHaveLength(spellings.length);
});

test('a record cut at every byte fails or parses the same with and without the fast path', () => {
  const text = 'record {\n  key: "conv" # the first layer\n  value: {\n    scale_d: 0.0235294122\n\toffset_d: -128\n    scale_w: 1.5e-05 scale_w: .25\n    offset_w: 0\n    offset_w: 0\n    skip_fusion: true\n    dst_type: "INT8"\n  }\n}\r\nrecord { key: "fc" value { scale_d: 1 } }';
  takesNothing.mockClear();
  for (let end = 0; end <= text.length; end++) {
    const cut = text.slice(0, end);
    expect({ cut, outcome: outcome(parseRecord, Buffer.from(cut)) }).toEqual({ cut, outcome: outcome(throughProtobufjs, cut) });
  }
  expect(takesNothing).toHaveBeenCalledTimes(text.length + 1);
});

test('readRecord reads a file with a BOM and CRLF line ends as the plain text', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'amct-record-bom-'));
  try {
    const text = formatRecord([
      { key: 'conv', scaleD: 0.5, offsetD: -128, scaleW: [0.25, 1.5e-5], offsetW: [0, 0], shiftBit: [] },
      { key: 'fc', scaleD: 6 / 255, scaleW: [3.4e38], offsetW: [], shiftBit: [], skipFusion: true },
    ]).replace('record {', 'record { # a comment');
    const file = path.join(dir, 'record.txt');
    await fsp.writeFile(file, '\ufeff' + text.replace(/\r?\n/g, '\r\n'));
    expect([...(await readRecord(file)).entries()]).toEqual([...parseRecord(text).entries()]);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test.each([
  ['the fast path', 'value { scale_d: 1 }'],
  ['protobufjs', 'value { scale_d: 1 scale_w: [1] }'], // a list: the fast path leaves the file to protobufjs
])('a BOM leaves the lines of a record error as they are, parsed by %s', (_what, value) => {
  const text = `\ufeffrecord { key: "a" ${value} }\nrecord {\n  key: "a"\n  ${value}\n}\n`;
  for (const source of [text, Buffer.from(text, 'utf8')]) {
    expect(outcome(parseRecord, source)).toMatchObject({ error: { code: 'RECORD_INVALID', line: 3, message: expect.stringContaining('(first at line 1)') } });
  }
});
