/** tensor_balance_factor (SPEC §10, field 6): written like scale_w, read back equal, checked. */
import { RecordError } from '../../src/errors';
import { formatRecord, parseRecord } from '../../src/record';
import { errorOf as expectError } from '../helpers/errors';

const errorOf = (fn: () => unknown) => expectError(fn, RecordError);

const RECORD = {
  scaleD: Math.fround(0.0235294122),
  offsetD: -128,
  scaleW: [Math.fround(0.005), Math.fround(0.004)],
  offsetW: [0, 0],
  shiftBit: [],
  tensorBalanceFactor: [Math.fround(0.5), Math.fround(3.25), Math.fround(1e-3)],
};

test('written after shift_bit in field-number order, read back bit for bit', () => {
  const text = formatRecord(new Map([['conv', RECORD]]));
  expect(text).toBe(
    'record {\n  key: "conv"\n  value {\n    scale_d: 0.0235294122\n    offset_d: -128\n    scale_w: 0.005\n    scale_w: 0.004\n' +
      '    offset_w: 0\n    offset_w: 0\n    tensor_balance_factor: 0.5\n    tensor_balance_factor: 3.25\n    tensor_balance_factor: 0.001\n  }\n}\n',
  );
  expect(parseRecord(text).get('conv')).toEqual(RECORD);
});

test('a record without factors reads back without the field (unbalanced layers unchanged)', () => {
  const { tensorBalanceFactor: _, ...plain } = RECORD;
  expect(parseRecord(formatRecord(new Map([['conv', plain]]))).get('conv')).toEqual(plain);
});

test('count must equal the layer\'s input channels when the caller knows them', () => {
  const text = formatRecord(new Map([['conv', RECORD]]));
  expect(parseRecord(text, 'r.txt', { layers: [{ name: 'conv', outputChannels: 2, inputChannels: 3 }] }).get('conv')).toEqual(RECORD);
  const e = errorOf(() => parseRecord(text, 'r.txt', { layers: [{ name: 'conv', outputChannels: 2, inputChannels: 4 }] }));
  expect(e).toMatchObject({ code: 'RECORD_INVALID', layer: 'conv', field: 'tensor_balance_factor', file: 'r.txt', line: 10 });
  expect(e.message).toMatch(/3 tensor_balance_factor values; expected 4 \(its input channels\)/);
});

test.each([['0'], ['-2'], ['nan'], ['inf'], ['1e-9'], ['1e9']])('factor %s is refused naming layer, field and line', (bad) => {
  const text = `record {\n  key: "fc"\n  value {\n    scale_d: 0.1\n    scale_w: 0.01\n    tensor_balance_factor: 1\n    tensor_balance_factor: ${bad}\n  }\n}\n`;
  const e = errorOf(() => parseRecord(text, 'r.txt'));
  expect(e).toMatchObject({ code: 'RECORD_INVALID', layer: 'fc', field: 'tensor_balance_factor', line: 7 });
});

test('the writer refuses what the reader would refuse', async () => {
  const { writeRecord } = await import('../../src/record');
  await expect(writeRecord('/nonexistent-dir/r.txt', new Map([['conv', { ...RECORD, tensorBalanceFactor: [0] }]]))).rejects.toMatchObject({ field: 'tensor_balance_factor' });
});
