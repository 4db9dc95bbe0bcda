/** writeFileAtomic and saveGraph's refusal to overwrite inputs. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadGraph, saveGraph, writeFileAtomic } from '../../src/io';
import { humanModel } from '../helpers/models';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-io-atomic-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const leftovers = () => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

test('writes new files and replaces old ones, leaving no temp file', async () => {
  const file = path.join(dir, 'out.txt');
  await writeFileAtomic(file, 'one');
  await writeFileAtomic(file, new Uint8Array([116, 119, 111]));
  expect(fs.readFileSync(file, 'utf8')).toBe('two');
  expect(leftovers()).toEqual([]);
});

test('refuses to overwrite an input, also through a symlink, and leaves it untouched', async () => {
  const input = path.join(dir, 'in.pb');
  fs.writeFileSync(input, 'model');
  await expect(writeFileAtomic(input, 'x', { inputs: [input] })).rejects.toMatchObject({ code: 'OUTPUT_WOULD_OVERWRITE_INPUT', file: input });
  const link = path.join(dir, 'link.pb');
  fs.symlinkSync(input, link);
  await expect(writeFileAtomic(link, 'x', { inputs: [input] })).rejects.toMatchObject({ code: 'OUTPUT_WOULD_OVERWRITE_INPUT' });
  await expect(writeFileAtomic(path.join(dir, '.', 'in.pb'), 'x', { inputs: [input] })).rejects.toMatchObject({ code: 'OUTPUT_WOULD_OVERWRITE_INPUT' });
  expect(fs.readFileSync(input, 'utf8')).toBe('model');
});

test('a missing folder is a FILE_WRITE_FAILED with a hint, and nothing is left behind', async () => {
  await expect(writeFileAtomic(path.join(dir, 'no', 'such', 'x.pb'), 'x')).rejects.toMatchObject({ code: 'FILE_WRITE_FAILED', hint: expect.stringMatching(/does not exist/) });
  await expect(writeFileAtomic(dir, 'x')).rejects.toMatchObject({ code: 'FILE_WRITE_FAILED' });
  expect(leftovers()).toEqual([]);
});

test('saveGraph refuses to overwrite the files the graph was loaded from', async () => {
  const model = humanModel('liveness');
  const json = path.join(dir, 'model.json');
  fs.copyFileSync(model.path, json);
  fs.copyFileSync(model.path.replace(/\.json$/, '.bin'), path.join(dir, 'liveness.bin'));
  const graph = await loadGraph(json);
  await expect(saveGraph(graph, json)).rejects.toMatchObject({ code: 'OUTPUT_WOULD_OVERWRITE_INPUT' });
  await expect(saveGraph(graph, path.join(dir, 'liveness.json'))).rejects.toMatchObject({ code: 'OUTPUT_WOULD_OVERWRITE_INPUT' }); // its shard liveness.bin
  await saveGraph(graph, path.join(dir, 'liveness.pb'));
  const pbGraph = await loadGraph(path.join(dir, 'liveness.pb'));
  await expect(saveGraph(pbGraph, path.join(dir, 'liveness.pb'))).rejects.toMatchObject({ code: 'OUTPUT_WOULD_OVERWRITE_INPUT' });
  await expect(saveGraph(pbGraph, path.join(dir, 'other.pb'), { inputs: [path.join(dir, 'other.pb')] })).rejects.toMatchObject({ code: 'OUTPUT_WOULD_OVERWRITE_INPUT' });
});
