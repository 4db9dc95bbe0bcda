import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CalibrationError } from '../../src/errors';
import { fakeDeps, runMain, writePngs } from './fakes';

const ROOT = path.join(__dirname, '..', '..');
const FACES = path.join(ROOT, 'node_modules', '@vladmandic', 'face-api', 'demo');

let tmp: string;
beforeEach(async () => {
  tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'amct-main-'));
});
afterEach(() => fs.promises.rm(tmp, { recursive: true }));

const run = (argv: string[], deps = fakeDeps().deps) => runMain(argv, deps);

function calibration(extra: string[] = [], dataDir = path.join(tmp, 'images')): string[] {
  return ['calibration', '--model', path.join(tmp, 'm.pb'), '--outputs', 'out:0', '--input_shape', 'input:1,4,4,3', '--data_dir', dataDir, '--save_path', path.join(tmp, 'out', 'q'), ...extra];
}

describe('main', () => {
  it('prints help on --help, -h, --h and "calibration --help" with exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['--h']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: amct-ts <command>/);
    }
    const r = await run(['calibration', '--help']);
    expect(r.code).toBe(0);
    for (const opt of ['--model', '--outputs', '--input_shape', '--data_dir', '--save_path', '--calibration_config', '--batch_num', '--batch_size', '--data_types', '--mean', '--std', '--resize', '--backend']) {
      expect(r.out).toContain(opt);
    }
    expect(r.err).toBe('');
  });

  it('prints usage to stderr with exit 2 when no command is given', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^Usage:/);
  });

  it('prints the version', async () => {
    const r = await run(['--version']);
    expect(r.out.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });

  it.each([
    [['compile'], 'amct-ts: error: unknown command "compile". Hint: the commands are "calibration", "inspect" and "analyze"; run "amct-ts --help"\n'],
    [['calibration', '--model', 'm.pb'], 'amct-ts: error: missing required option --outputs. Hint: run "amct-ts calibration --help" for the options\n'],
    [['calibration', '--model', 'm.pb', '--outputs', 'o', '--input_shape', 'x:1,a', '--data_dir', 'd', '--save_path', 's'], 'amct-ts: error: bad shape "1,a" in --input_shape. Hint: write dimensions as positive integers separated by commas, e.g. "input:1,224,224,3"\n'],
  ])('usage error %j → one line, exit 2, no stack', async (argv, expected) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toBe(expected);
    expect(r.out).toBe('');
  });

  it('exits 2 for an input name missing from the graph', async () => {
    writePngs(path.join(tmp, 'images'), 1);
    const r = await run(calibration(['--input_shape', 'image:1,4,4,3']));
    expect(r.code).toBe(2);
    expect(r.err).toBe('amct-ts: error: input "image" in --input_shape is not a node of the model. Hint: the model\'s placeholders are: input\n');
  });

  it('exits 1 with one line for a calibration failure, and adds the stack with --verbose', async () => {
    writePngs(path.join(tmp, 'images'), 1);
    const { deps } = fakeDeps();
    deps.quantizeModel = async () => {
      throw new CalibrationError('CALIBRATION_DATA_INVALID', 'NaN in the input of layer conv', { layer: 'conv', hint: 'check the data' });
    };
    const quiet = await run(calibration(), deps);
    expect(quiet.code).toBe(1);
    expect(quiet.err).toBe('amct-ts: error: NaN in the input of layer conv. Hint: check the data\n');
    const loud = await run(calibration(['--verbose']), deps);
    expect(loud.code).toBe(1);
    expect(loud.err).toMatch(/^amct-ts: error: NaN.*\nCalibrationError: NaN[^]*at /);
  });

  it('reports an unexpected error as internal, exit 1', async () => {
    writePngs(path.join(tmp, 'images'), 1);
    const { deps } = fakeDeps();
    deps.createSession = async () => {
      throw new TypeError('undefined is not a function');
    };
    const r = await run(calibration(), deps);
    expect(r.code).toBe(1);
    expect(r.err).toBe('amct-ts: internal error: undefined is not a function (run with --verbose for the stack trace)\n');
  });

  it('names a corrupt image, exit 1', async () => {
    fs.mkdirSync(path.join(tmp, 'images'));
    fs.writeFileSync(path.join(tmp, 'images', 'bad.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2]));
    const r = await run(calibration());
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^amct-ts: error: cannot decode JPEG image: .*\(file .*bad\.jpg\)\. Hint: the file is truncated or corrupt/);
    expect(r.err.split('\n')).toHaveLength(2);
  });

  it('calibrates on the face-api demo photos end to end (fake SDK)', async () => {
    const { deps, log } = fakeDeps();
    const r = await run(['calibration', '--model', path.join(tmp, 'm.pb'), '--outputs', 'out:0', '--input_shape', 'input:2,32,32,3',
      '--data_dir', FACES, '--save_path', path.join(tmp, 'out', 'q'), '--batch_num', '2', '--center_crop', '0.875', '--unit_range'], deps);
    expect(r.code).toBe(0);
    expect(log.feeds).toHaveLength(2);
    for (const f of log.feeds) {
      expect(f.input.shape).toEqual([2, 32, 32, 3]);
      const d = f.input.data;
      expect(Math.min(...d)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...d)).toBeLessThanOrEqual(1);
    }
    expect(r.err).toBe('calibration: 50% (1/2)\ncalibration: 100% (2/2)\n');
    expect(r.out).toMatch(/^Calibrated 2 batches of 2 sample\(s\)\.\nQuantized 1 of 2 layer\(s\)/);
  });
});

describe('the amct-ts executable', () => {
  it('runs as a script: help exits 0, a bad command line exits 2', () => {
    const opts = { cwd: ROOT, encoding: 'utf8' as const, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } };
    const entry = path.join('src', 'cli', 'main.ts');
    const help = spawnSync(process.execPath, ['-r', 'ts-node/register', entry, 'calibration', '--help'], opts);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: amct-ts calibration/);
    const bad = spawnSync(process.execPath, ['-r', 'ts-node/register', entry, 'calibration'], opts);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('amct-ts: error: missing required option --model. Hint: run "amct-ts calibration --help" for the options\n');
  });
});
