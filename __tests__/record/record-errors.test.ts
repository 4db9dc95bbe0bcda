import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RecordError } from '../../src/errors';
import { LayerRecord, parseRecord, readRecord, requireLayer, writeRecord } from '../../src/record';
import { errorOf as expectError } from '../helpers/errors';

const FILE = 'rec.txt';

const errorOf = (fn: () => unknown) => expectError(fn, RecordError);

const layer = (name: string, value: string) => `record {\n  key: "${name}"\n  value {\n${value}\n  }\n}\n`;

describe('parse errors carry line numbers', () => {
  it('reports a syntax error with its line', () => {
    const e = errorOf(() => parseRecord('record {\n  key: "a"\n  value {\n    scale_d: 0.5\n', FILE));
    expect(e.code).toBe('RECORD_PARSE_FAILED');
    expect(e.file).toBe(FILE);
    expect(e.line).toBe(5); // where the input ended, still inside the message
    expect(e.message).toContain("expected '}'");
    expect(e.message).toContain('rec.txt:5');
    expect(e.hint).toBeTruthy();
  });

  it('reports an unknown field with its line', () => {
    const e = errorOf(() => parseRecord(layer('a', '    scale_d: 0.5\n    scale_x: 1'), FILE));
    expect(e.code).toBe('RECORD_PARSE_FAILED');
    expect(e.line).toBe(5);
    expect(e.message).toContain("unknown field 'scale_x' in SingleLayerRecord");
  });

  it('finds the line of value errors protobufjs reports without one', () => {
    const text = layer('a', '    scale_d: 0.5') + layer('b', '    scale_d: 0.5\n    offset_d: 99999999999');
    const e = errorOf(() => parseRecord(text, FILE));
    expect(e.code).toBe('RECORD_PARSE_FAILED');
    expect(e.message).toContain('integer value out of range');
    expect(e.line).toBe(11);
    expect(e.layer).toBe('b');
    expect(e.message).toContain('layer b');
  });

  it('reports a non-integer offset and a repeated singular field with their lines', () => {
    expect(errorOf(() => parseRecord(layer('a', '    offset_d: 1.5'), FILE)).line).toBe(4);
    const e = errorOf(() => parseRecord(layer('a', '    scale_d: 0.5\n    scale_d: 0.25'), FILE));
    expect(e.message).toContain('scale_d: multiple values');
    expect(e.line).toBe(5);
  });
});

describe('record checks (SPEC §5)', () => {
  it.each([
    ['', 'an empty file'],
    ['# only a comment\n\n', 'only comments'],
  ])('rejects %j (%s) as empty', (text) => {
    const e = errorOf(() => parseRecord(text, FILE));
    expect(e.code).toBe('RECORD_EMPTY');
    expect(e.message).toMatch(/^record_file is empty, no layers to be quantized/);
  });

  it('rejects duplicate keys, naming both lines', () => {
    const e = errorOf(() => parseRecord(layer('a', '    scale_d: 0.5') + layer('a', '    scale_d: 0.25'), FILE));
    expect(e.code).toBe('RECORD_INVALID');
    expect(e.layer).toBe('a');
    expect(e.line).toBe(8);
    expect(e.message).toContain('layer a appears twice in record_file (first at line 2)');
  });

  it('rejects an entry without a key', () => {
    const e = errorOf(() => parseRecord(layer('a', '    scale_d: 0.5') + 'record {\n  value { scale_d: 1 }\n}\n', FILE));
    expect(e.code).toBe('RECORD_INVALID');
    expect(e.line).toBe(7);
  });

  it.each([
    ['offset_d: -129', 'offset_d', 'must be in [-128, 127], got -129'],
    ['offset_d: 128', 'offset_d', 'must be in [-128, 127], got 128'],
    ['scale_w: 0.5\n    offset_w: 3', 'offset_w', 'must be 0'],
    ['scale_d: 0', 'scale_d', 'must be a finite number > 0, got 0'],
    ['scale_d: -0.5', 'scale_d', 'got -0.5'],
    ['scale_d: inf', 'scale_d', 'got Infinity'],
    ['scale_d: nan', 'scale_d', 'got NaN'],
    ['scale_w: 0.5\n    scale_w: -1', 'scale_w', 'scale_w #2 of layer conv must be a finite number > 0, got -1'],
    ['shift_bit: 0', 'shift_bit', 'must be in [1, 16], got 0'],
    ['shift_bit: 17', 'shift_bit', 'must be in [1, 16], got 17'],
    ['scale_w: 0.5\n    scale_w: 0.5\n    offset_w: 0', 'offset_w', '1 offset_w values but 2 scale_w values'],
  ])('rejects %j', (value, field, text) => {
    const body = value.startsWith('scale_d') ? `    ${value}` : `    scale_d: 0.5\n    ${value}`;
    const src = layer('other', '    scale_d: 1') + layer('conv', body);
    const e = errorOf(() => parseRecord(src, FILE));
    expect(e.code).toBe('RECORD_INVALID');
    expect(e.layer).toBe('conv');
    expect(e.field).toBe(field);
    expect(e.message).toContain(text);
    expect(e.message).toContain('layer conv');
    expect(e.message).toContain(`${FILE}:`);
    expect(src.split('\n')[e.line! - 1]).toContain(field);
    expect(e.hint).toBeTruthy();
  });

  it('checks the scale_w count against the layer output channels when given', () => {
    const text = layer('conv', '    scale_d: 0.5\n    scale_w: 0.1\n    scale_w: 0.2\n    scale_w: 0.3');
    const layers = [{ name: 'conv', outputChannels: 4 }];
    const e = errorOf(() => parseRecord(text, FILE, { layers }));
    expect(e.code).toBe('RECORD_INVALID');
    expect(e.message).toContain('layer conv has 3 scale_w values; expected 1 or 4 (its output channels)');
    expect(e.line).toBe(5);
    expect(parseRecord(text, FILE, { layers: [{ name: 'conv', outputChannels: 3 }] }).size).toBe(1);
    expect(parseRecord(layer('conv', '    scale_d: 0.5\n    scale_w: 0.1'), FILE, { layers }).size).toBe(1);
    expect(parseRecord(text, FILE).size).toBe(1); // no channel info, no count check
  });
});

describe('requireLayer', () => {
  const records = parseRecord(layer('conv', '    scale_d: 0.5') + layer('pool', '    scale_w: 0.5'), FILE);

  it('returns a calibrated layer', () => {
    expect(requireLayer(records, 'conv').scaleD).toBe(0.5);
  });

  it.each(['missing', 'pool'])('rejects %s with the AMCT message', (name) => {
    const e = errorOf(() => requireLayer(records, name));
    expect(e.code).toBe('RECORD_MISSING_LAYER');
    expect(e.layer).toBe(name);
    expect(e.file).toBe(FILE);
    expect(e.message).toMatch(new RegExp(`^cannot find scale_d of layer ${name} in record_file, please check the calibration`));
  });
});

describe('files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'amct-record-'));
  });
  afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

  it('reports a missing record file', async () => {
    const file = path.join(dir, 'nope.txt');
    await expect(readRecord(file)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', file });
  });

  it('refuses to write an invalid or empty record, leaving the old file untouched', async () => {
    const file = path.join(dir, 'record.txt');
    await fsp.writeFile(file, 'old');
    const bad: LayerRecord = { scaleD: NaN, scaleW: [], offsetW: [], shiftBit: [] };
    await expect(writeRecord(file, new Map([['conv', bad]]))).rejects.toMatchObject({ code: 'RECORD_INVALID', layer: 'conv' });
    await expect(writeRecord(file, new Map())).rejects.toMatchObject({ code: 'RECORD_EMPTY' });
    expect(await fsp.readFile(file, 'utf8')).toBe('old');
    expect(await fsp.readdir(dir)).toEqual(['record.txt']);
  });

  it('wraps write failures', async () => {
    const file = path.join(dir, 'no-such-dir', 'record.txt');
    const ok: LayerRecord = { scaleD: 1, scaleW: [], offsetW: [], shiftBit: [] };
    await expect(writeRecord(file, new Map([['conv', ok]]))).rejects.toMatchObject({ code: 'FILE_WRITE_FAILED', file });
  });
});

test('a record write into a missing folder keeps the atomic writer\'s specific hint, once', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'amct-rec-hint-'));
  const file = path.join(dir, 'no', 'rec.txt');
  const record: LayerRecord = { scaleD: 0.1, offsetD: 0, scaleW: [0.2], offsetW: [0], shiftBit: [] };
  const failure = await writeRecord(file, new Map([['conv', record]])).catch((x) => x);
  expect(failure).toBeInstanceOf(RecordError);
  expect(failure).toMatchObject({ code: 'FILE_WRITE_FAILED', file, hint: expect.stringMatching(/does not exist; create it first/) });
  expect(failure.message.match(/Hint:/g)).toHaveLength(1);
  await fsp.rm(dir, { recursive: true, force: true });
});
