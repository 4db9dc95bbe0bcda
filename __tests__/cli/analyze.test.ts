/**
 * `amct-ts analyze`, run in-process with the real API on the net where exactly two
 * layers break: exit codes, progress on stderr, the worst-layers table on stdout, the
 * report file; and the command line's own mistakes (exit 2).
 */
import * as fs from 'fs';
import * as path from 'path';
import { encodeNpy } from '../../src/data';
import { feedsOf, twoBrokenLayersNet, writeModelAndRecord } from '../analysis/analysis-fixtures';
import { runMain as run } from './fakes';

describe('amct-ts analyze', () => {
  const b = twoBrokenLayersNet();
  let files: Awaited<ReturnType<typeof writeModelAndRecord>>;
  let data: string;
  const args = (extra: string[] = []) => [
    'analyze', '--model', files.model, '--outputs', 'out:0', '--record_file', files.record,
    '--input_shape', 'input:1,8,8,3', '--data_dir', data, '--backend', 'cpu', ...extra,
  ];

  beforeAll(async () => {
    files = await writeModelAndRecord(b.graph, feedsOf(b.graph, 1, 2));
    data = path.join(files.dir, 'data');
    fs.mkdirSync(data);
    feedsOf(b.graph, 3, 4, 5).forEach((f, i) => fs.writeFileSync(path.join(data, `${i}.npy`), encodeNpy({ data: f.input.data, shape: [1, 8, 8, 3], dtype: 'float32' })));
  });

  test('writes the report, prints the worst layers and the outputs, shows progress', async () => {
    const report = path.join(files.dir, 'reports', 'r.html');
    const r = await run(args(['--batch_num', '2', '--report', report]));
    expect(r.err).toBe('analysis: 50% (1/2)\nanalysis: 100% (2/2)\n');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('Analyzed 6 quantized layer(s) on 2 batches.');
    expect(lines[2]).toMatch(/^\s+#\s+isolated cos\s+iso SQNR dB\s+cumulative cos\s+cum SQNR dB\s+op\s+layer$/);
    expect([lines[3], lines[4]].map((l) => l.split(/\s+/).pop()).sort()).toEqual(['conv3', 'conv5']);
    expect(lines.slice(3, 9).every((l) => /^\s+\d\s+[01]\.\d{6}\s/.test(l))).toBe(true);
    expect(r.out).toMatch(/Outputs \(INT8 vs float\):\n {2}out:0: cosine 0\.\d{6}, SQNR -?\d+\.\d dB, relative L2 \d/);
    expect(r.out).toContain(`Report written: ${report}`);
    expect(fs.readFileSync(report, 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  test('exit 1 with the typed error when the data holds too few batches, or the record lacks a layer', async () => {
    const few = await run(args(['--batch_num', '4', '--report', path.join(files.dir, 'r.json')]));
    expect(few.code).toBe(1);
    expect(few.err).toMatch(/^amct-ts: error: data for input "input" holds 3 samples, but 4 batches of 1 need 4/);
    const empty = path.join(files.dir, 'empty-record.txt');
    fs.writeFileSync(empty, '');
    const bad = await run(['analyze', ...args(['--report', path.join(files.dir, 'r.json')]).slice(1).map((a) => (a === files.record ? empty : a))]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^amct-ts: error: .*record/i);
    expect(fs.existsSync(path.join(files.dir, 'r.json'))).toBe(false);
  });

  test.each([
    [['--report', 'r.txt'], /--report must name a \.json or \.html file, got "r\.txt"/],
    [[], /missing required option --report\. Hint: run "amct-ts analyze --help"/],
    [['--report', 'r.json', '--save_path', 'x'], /--save_path is an option of "amct-ts calibration", not of "analyze"/],
    [['--report', 'r.json', '--batch_num', '0'], /--batch_num must be a positive integer, got "0"\. Hint: run "amct-ts analyze --help"/],
    [['--report', 'r.json', '--outputs', 'nope'], /output "nope" in --outputs is not a node of the model/],
  ])('exit 2 for a bad command line: %j', async (extra, message) => {
    const r = await run(args(extra as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message as RegExp);
  });

  test('prints its help', async () => {
    const r = await run(['analyze', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: amct-ts analyze --model MODEL/);
    const main = await run(['--help']);
    expect(main.out).toContain('analyze       compare the float and INT8 models');
  });
});
