import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, FileFormatError } from '../../src/errors';
import { readBinaryInput, readTextInput } from '../../src/io/read';

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-read-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('reads text and bytes', async () => {
  const file = path.join(dir, 'a.txt');
  fs.writeFileSync(file, 'héllo');
  await expect(readTextInput(file, { what: 'thing', missingHint: 'h' })).resolves.toBe('héllo');
  expect(Array.from(await readBinaryInput(file, { what: 'thing', missingHint: 'h' }))).toEqual(Array.from(Buffer.from('héllo')));
});

test('a missing file is FILE_NOT_FOUND in the caller\'s error class, naming the file, with the caller\'s hint', async () => {
  const file = path.join(dir, 'nope.json');
  const e = await readTextInput(file, { what: 'quantization config', missingHint: 'create it first', errorClass: ConfigError }).catch((x) => x);
  expect(e).toBeInstanceOf(ConfigError);
  expect(e).toMatchObject({ code: 'FILE_NOT_FOUND', file, hint: 'create it first' });
  expect(e.message).toContain(`quantization config ${file} does not exist`);
});

test('a folder given as a file is FILE_READ_FAILED (FileFormatError by default)', async () => {
  const e = await readBinaryInput(dir, { what: 'calibration input', missingHint: 'h' }).catch((x) => x);
  expect(e).toBeInstanceOf(FileFormatError);
  expect(e).toMatchObject({ code: 'FILE_READ_FAILED', file: dir });
});
