/**
 * Outputs never replace special files (devices, FIFOs, sockets, folders), several outputs
 * are checked before any is written, and temps of killed writers are cleaned up.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { createQuantConfig } from '../../src/api';
import { loadGraph, removeStaleTemps, saveGraph, writeFileAtomic, writeFilesAtomic } from '../../src/io';
import { AmctError } from '../../src/errors';

const MNIST = path.join(__dirname, '..', '..', 'examples', 'mnist', 'model', 'mnist_cnn.pb');

/** The AmctError `promise` rejects with; fails the test when it resolves or rejects with something else. */
async function errorOf(promise: Promise<unknown>): Promise<AmctError> {
  const e = await promise.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(AmctError);
  return e as AmctError;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-io-special-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a FIFO is refused with OUTPUT_NOT_REGULAR_FILE and stays a FIFO, with nothing written beside it', async () => {
  const fifo = path.join(dir, 'out.json');
  execFileSync('mkfifo', [fifo]);
  const e = await errorOf(writeFileAtomic(fifo, 'x'));
  expect(e).toMatchObject({ code: 'OUTPUT_NOT_REGULAR_FILE', file: fifo, hint: expect.stringMatching(/regular file/) });
  expect(e.message).toMatch(/FIFO/);
  expect(fs.statSync(fifo).isFIFO()).toBe(true);
  expect(fs.readdirSync(dir)).toEqual(['out.json']);
});

test('createQuantConfig("/dev/null") is refused and /dev/null is still a character device', async () => {
  const graph = await loadGraph(MNIST);
  const e = await errorOf(createQuantConfig('/dev/null', graph));
  expect(e).toMatchObject({ code: 'OUTPUT_NOT_REGULAR_FILE', file: '/dev/null' });
  expect(e.message).toMatch(/character device/);
  expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
  expect(fs.readdirSync('/dev').filter((f) => f.startsWith('.null.'))).toEqual([]);
});

test('a socket is refused', async () => {
  const sock = path.join(dir, 'out.pb');
  const server = net.createServer().listen(sock);
  await new Promise((r) => server.once('listening', r));
  try {
    await expect(writeFileAtomic(sock, 'x')).rejects.toMatchObject({ code: 'OUTPUT_NOT_REGULAR_FILE', message: expect.stringMatching(/socket/) });
    expect(fs.statSync(sock).isSocket()).toBe(true);
  } finally {
    server.close();
  }
});

test('writeFilesAtomic checks every target before writing any', async () => {
  const a = path.join(dir, 'a.txt');
  fs.mkdirSync(path.join(dir, 'b.txt'));
  await expect(writeFilesAtomic([{ target: a, data: 'a' }, { target: path.join(dir, 'b.txt'), data: 'b' }])).rejects.toMatchObject({ code: 'FILE_WRITE_FAILED' });
  expect(fs.existsSync(a)).toBe(false);
  expect(fs.readdirSync(dir)).toEqual(['b.txt']);
  await writeFilesAtomic([{ target: a, data: 'a' }, { target: path.join(dir, 'c.txt'), data: 'c' }]);
  expect(fs.readFileSync(a, 'utf8') + fs.readFileSync(path.join(dir, 'c.txt'), 'utf8')).toBe('ac');
});

test('writeFilesAtomic renames nothing and leaves no temp when one temp cannot be written (the temps are written at once)', async () => {
  const a = path.join(dir, 'a.txt');
  const b = path.join(dir, 'b.txt');
  fs.writeFileSync(a, 'old');
  // The second temp fails after the first was opened (a full disk, say); root ignores permissions, so the failure is injected.
  const open = fs.promises.open;
  const spy = jest.spyOn(fs.promises, 'open').mockImplementation((file, ...rest) =>
    String(file).includes('.b.txt.') ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })) : open(file, ...rest),
  );
  try {
    await expect(writeFilesAtomic([{ target: a, data: 'new' }, { target: b, data: 'b' }])).rejects.toMatchObject({ code: 'FILE_WRITE_FAILED' });
  } finally {
    spy.mockRestore();
  }
  expect(fs.readFileSync(a, 'utf8')).toBe('old');
  expect(fs.readdirSync(dir)).toEqual(['a.txt']);
});

test('writeFilesAtomic takes a promise of one file\'s contents: the others are written meanwhile; a rejected one fails as itself, renaming nothing', async () => {
  const a = path.join(dir, 'a.txt');
  const b = path.join(dir, 'b.txt');
  fs.writeFileSync(a, 'old');
  let started = false;
  const later = new Promise<string>((resolve) => setTimeout(() => resolve(`new, b started first: ${started}`), 50));
  const open = fs.promises.open;
  const spy = jest.spyOn(fs.promises, 'open').mockImplementation((file, ...rest) => {
    if (String(file).includes('.b.txt.')) started = true;
    return open(file, ...rest);
  });
  try {
    await writeFilesAtomic([{ target: a, data: later }, { target: b, data: 'b' }]);
    expect(fs.readFileSync(a, 'utf8')).toBe('new, b started first: true');
    const failure = new Error('the hash failed');
    await expect(writeFilesAtomic([{ target: a, data: Promise.reject(failure) }, { target: b, data: 'b2' }])).rejects.toBe(failure);
  } finally {
    spy.mockRestore();
  }
  expect(fs.readFileSync(a, 'utf8')).toBe('new, b started first: true');
  expect(fs.readFileSync(b, 'utf8')).toBe('b');
  expect(fs.readdirSync(dir).sort()).toEqual(['a.txt', 'b.txt']);
});

test('saveGraph to model.json whose shard path is a FIFO writes nothing', async () => {
  const graph = await loadGraph(MNIST);
  execFileSync('mkfifo', [path.join(dir, 'group1-shard1of1.bin')]);
  await expect(saveGraph(graph, path.join(dir, 'model.json'))).rejects.toMatchObject({ code: 'OUTPUT_NOT_REGULAR_FILE' });
  expect(fs.readdirSync(dir)).toEqual(['group1-shard1of1.bin']);
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

test('temps of a killed writer are removed on the next write to the folder; live writers and other files are kept', async () => {
  const dead = path.join(dir, `.model.pb.${deadPid()}.0123456789ab.tmp`);
  const live = path.join(dir, `.model.pb.${process.pid}.0123456789ab.tmp`);
  const notOurs = [path.join(dir, '.model.pb.tmp'), path.join(dir, `.x.${deadPid()}.xyz.tmp`), path.join(dir, 'keep.tmp')];
  for (const f of [dead, live, ...notOurs]) fs.writeFileSync(f, 'partial');
  await writeFileAtomic(path.join(dir, 'other.txt'), 'new');
  expect(fs.existsSync(dead)).toBe(false);
  expect([live, ...notOurs].every((f) => fs.existsSync(f))).toBe(true);
  expect(await removeStaleTemps(dir)).toEqual([]);
});

test('a writer killed between writing its temp and renaming leaves a temp that the next write removes', async () => {
  const target = path.join(dir, 'out.bin');
  // A child process writes a temp the way writeFileAtomic names it, then dies with SIGKILL.
  const script = `const fs=require('fs');fs.writeFileSync(${JSON.stringify(dir)}+'/.out.bin.'+process.pid+'.a1b2c3d4e5f6.tmp','x');process.kill(process.pid,'SIGKILL')`;
  spawnSync(process.execPath, ['-e', script]);
  expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toHaveLength(1);
  await writeFileAtomic(target, 'done');
  expect(fs.readdirSync(dir)).toEqual(['out.bin']);
});
