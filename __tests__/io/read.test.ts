import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, FileFormatError } from '../../src/errors';
import { readBinaryInput, readTextInput, readWholeFile } from '../../src/io/read';

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

describe('readWholeFile', () => {
  test('a large file in one piece, byte for byte; an empty file is empty', async () => {
    const file = path.join(dir, 'big.bin');
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 13);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    fs.writeFileSync(file, bytes);
    expect((await readWholeFile(file)).equals(bytes)).toBe(true);
    fs.writeFileSync(path.join(dir, 'empty'), '');
    expect((await readWholeFile(path.join(dir, 'empty'))).length).toBe(0);
  });

  test('a file whose stat says 0 bytes (/proc) is read to its end', async () => {
    if (!fs.existsSync('/proc/self/status')) return; // Linux only
    expect(fs.statSync('/proc/self/status').size).toBe(0);
    const text = (await readWholeFile('/proc/self/status')).toString('utf8');
    expect(text).toMatch(/^Name:/);
    expect(text).toContain('\nPid:');
  });

  test('a FIFO (stat says 0 bytes, cannot seek) is read to its end, as fs.readFile reads it', async () => {
    if (process.platform === 'win32') return; // no FIFOs there
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', 'printf "piped bytes" > "$0"', fifo]);
    const done = new Promise((resolve) => writer.on('exit', resolve));
    expect((await readWholeFile(fifo)).toString('utf8')).toBe('piped bytes');
    await done;
  });

  test('a file over 2 GiB is refused as fs.readFile refuses it (ERR_FS_FILE_TOO_LARGE), not read nor crashed on', async () => {
    const huge = path.join(dir, 'huge.bin');
    fs.closeSync(fs.openSync(huge, 'w'));
    fs.truncateSync(huge, 2 ** 31 + 5); // sparse: no disk space is used
    await expect(readWholeFile(huge)).rejects.toMatchObject({ code: 'ERR_FS_FILE_TOO_LARGE' });
    const e = await readBinaryInput(huge, { what: 'calibration input', missingHint: 'h' }).catch((x) => x);
    expect(e).toBeInstanceOf(FileFormatError);
    expect(e).toMatchObject({ code: 'FILE_READ_FAILED', file: huge });
    expect(e.message).toContain('greater than 2 GiB');
    fs.rmSync(huge);
  });

  test('a missing file and a folder fail as fs.readFile does (ENOENT, EISDIR)', async () => {
    await expect(readWholeFile(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readWholeFile(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
