/**
 * Deeply nested record and .cfg files are refused by one linear scan with a typed error
 * and the line where the nesting goes too deep, instead of overflowing the stack or
 * spinning in the line lookup.
 */
import { parseConfigDefinition } from '../../src/config';
import { AmctError } from '../../src/errors';
import { parseRecord } from '../../src/record';

function errorOf(fn: () => unknown): AmctError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AmctError);
    return e as AmctError;
  }
  throw new Error('expected an AmctError');
}

const RECORD = 'record {\n  key: "conv"\n  value {\n    scale_d: 0.02\n    offset_d: -128\n    scale_w: 0.01\n    offset_w: 0\n  }\n}\n';

test.each([
  ['unclosed braces 40,000 deep', 'a {'.repeat(40_000)],
  ['closed braces 40,000 deep', 'a {'.repeat(40_000) + '}'.repeat(40_000)],
  ['nested records 5,000 deep, one per line', 'record { value {\n'.repeat(5_000)],
  ['angle brackets and lists', 'x: ['.repeat(20_000) + 'a < '.repeat(20_000)],
])('a record with %s is RECORD_PARSE_FAILED at the line where it gets too deep', (_what, nest) => {
  const text = RECORD + nest;
  const e = errorOf(() => parseRecord(text, 'r.txt'));
  expect(e).toMatchObject({ code: 'RECORD_PARSE_FAILED', file: 'r.txt', line: expect.any(Number), message: expect.stringMatching(/nesting deeper than 32 levels/) });
  expect(e.line).toBeGreaterThanOrEqual(10);
  expect(e.line).toBeLessThanOrEqual(10 + 32);
});

test('a .cfg nested 40,000 deep is CONFIG_PARSE_FAILED with its line', () => {
  const text = 'batch_num: 1\n' + 'common_config {\n'.repeat(40_000);
  expect(errorOf(() => parseConfigDefinition(text, 'q.cfg'))).toMatchObject({ code: 'CONFIG_PARSE_FAILED', file: 'q.cfg', line: 2 + 32, hint: expect.any(String) });
});

test('braces inside strings and comments do not count as nesting', () => {
  const text = `# ${'{'.repeat(100)}\nrecord {\n  key: "${'{'.repeat(100)}"\n  value { scale_d: 0.02 offset_d: -128 scale_w: 0.01 offset_w: 0 }\n}\n`;
  expect([...parseRecord(text).keys()]).toEqual(['{'.repeat(100)]);
});
