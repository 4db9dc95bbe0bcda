import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCalibration } from '../../src/cli/calibrate';
import { CalibrationOptions, parseCalibrationArgs } from '../../src/cli/options';
import { UsageError } from '../../src/cli/usage-error';
import { CalibrationError } from '../../src/errors';
import { encodeNpy } from '../../src/data';
import { DataType } from '../../src/ir';
import { capture, fakeDeps, writePngs } from './fakes';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'amct-cli-'));
});
afterEach(() => fs.promises.rm(tmp, { recursive: true }));

function options(extra: string[] = [], shape = 'input:2,4,4,3'): CalibrationOptions {
  return parseCalibrationArgs([
    '--model', path.join(tmp, 'm.pb'), '--outputs', 'out:0', '--input_shape', shape,
    '--data_dir', path.join(tmp, 'images'), '--save_path', path.join(tmp, 'out', 'model'), ...extra,
  ])!;
}

describe('runCalibration', () => {
  it('runs the AMCT flow in order and feeds batch_num batches', async () => {
    writePngs(path.join(tmp, 'images'), 5);
    const { deps, log } = fakeDeps();
    const io = capture();
    const summary = await runCalibration(options(['--batch_num', '2', '--backend', 'cpu']), deps, { ...io, isTTY: false });
    expect(log.calls).toEqual([
      'loadGraph m.pb',
      'createQuantConfig model_config.json',
      'quantizeModel model_config.json model_record.txt',
      'createSession',
      'run',
      'run',
      'dispose',
      'saveModel m.pb out:0 model_record.txt model',
    ]);
    expect(log.backend).toBe('cpu');
    expect(log.configOptions).toEqual({ batchNum: 2, configDefinition: undefined });
    expect(log.fetches).toEqual([['out:0'], ['out:0']]);
    expect(log.disposedResults).toBe(2);
    // Batch b holds images 2b, 2b+1 in file-name order; red channel = image index.
    for (const [b, feeds] of log.feeds.entries()) {
      expect(Object.keys(feeds)).toEqual(['input']);
      expect(feeds.input.shape).toEqual([2, 4, 4, 3]);
      expect(feeds.input.data).toBeInstanceOf(Float32Array);
      expect([feeds.input.data[0], feeds.input.data[48]]).toEqual([2 * b, 2 * b + 1]);
      expect(feeds.input.data[1]).toBe(100);
    }
    expect(io.err()).toBe('calibration: 50% (1/2)\ncalibration: 100% (2/2)\n');
    expect(summary).toMatchObject({ batches: 2, batchSizes: [2], layersQuantized: 1, layersTotal: 2 });
    expect(summary.filesWritten.map((f) => path.basename(f))).toEqual(['model_config.json', 'model_quant.json', 'model_quantized.pb', 'model_record.txt']);
    expect(io.out()).toContain('Calibrated 2 batches of 2 sample(s).');
    expect(io.out()).toContain('Quantized 1 of 2 layer(s) (1 skipped by the config).');
    expect(io.out()).toContain(path.join(tmp, 'out', 'model_quantized.pb'));
  });

  it('draws the bar in place on a TTY', async () => {
    writePngs(path.join(tmp, 'images'), 2);
    const io = capture();
    await runCalibration(options(), fakeDeps().deps, { ...io, isTTY: true });
    expect(io.err()).toMatch(/^\rcalibration \[-+\]   0% 0\/1\rcalibration \[#+\] 100% 1\/1\n$/);
  });

  it('applies image options: resize to input h,w, normalisation, BGR', async () => {
    writePngs(path.join(tmp, 'images'), 1, 8, 6);
    const { deps, log } = fakeDeps();
    await runCalibration(options(['--mean', '127.5', '--std', '127.5', '--channel_order', 'BGR'], 'input:1,3,2,3'), deps, { ...capture(), isTTY: false });
    const feed = log.feeds[0].input;
    expect(feed.shape).toEqual([1, 3, 2, 3]);
    const expected = [(200 - 127.5) / 127.5, (100 - 127.5) / 127.5, -1]; // BGR of RGB (0, 100, 200)
    expected.forEach((v, i) => expect(feed.data[i]).toBeCloseTo(v, 6));
  });

  it('uses --batch_size when the batch dimension is -1, and .npy data', async () => {
    const dir = path.join(tmp, 'images');
    fs.mkdirSync(dir);
    for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(dir, `${i}.npy`), encodeNpy({ dtype: 'float32', shape: [2, 5], data: new Float32Array(10).fill(i) }));
    const { deps, log } = fakeDeps();
    await runCalibration(options(['--batch_size', '3', '--batch_num', '2'], 'input:-1,5'), deps, { ...capture(), isTTY: false });
    expect(log.feeds.map((f) => f.input.shape)).toEqual([[3, 5], [3, 5]]);
    expect(Array.from(log.feeds[1].input.data.filter((_, i) => i % 5 === 0))).toEqual([1, 2, 2]);
  });

  it('feeds int32 to an integer placeholder', async () => {
    writePngs(path.join(tmp, 'images'), 2);
    const { deps, log } = fakeDeps({ placeholderDtype: DataType.DT_UINT8 });
    await runCalibration(options(), deps, { ...capture(), isTTY: false });
    expect(log.feeds[0].input.data).toBeInstanceOf(Int32Array);
  });

  it('calibrates the config\'s batch_num when a .cfg sets it, warning about --batch_num', async () => {
    writePngs(path.join(tmp, 'images'), 6);
    const { deps, log } = fakeDeps({ configBatchNum: 3 });
    const io = capture();
    const cfg = path.join(tmp, 'c.cfg');
    fs.writeFileSync(cfg, 'batch_num: 3\n');
    await runCalibration(options(['--calibration_config', cfg, '--batch_num', '1']), deps, { ...io, isTTY: false });
    expect(log.configOptions).toEqual({ batchNum: 1, configDefinition: cfg });
    expect(log.feeds).toHaveLength(3);
    expect(io.err()).toContain('warning: --batch_num 1 differs from batch_num 3 of --calibration_config; calibrating 3 batches');
  });

  it('fails before anything runs or is written when images are too few', async () => {
    writePngs(path.join(tmp, 'images'), 3);
    const { deps, log } = fakeDeps();
    const err = await runCalibration(options(['--batch_num', '2']), deps, { ...capture(), isTTY: false }).catch((e) => e);
    expect(err).toBeInstanceOf(CalibrationError);
    expect(err.message).toMatch(/holds 3 samples, but 2 batches of 2 need 4.*lower --batch_num/);
    expect(log.calls).toEqual([]);
    expect(fs.readdirSync(tmp)).toEqual(['images']);
  });

  it('counts .npy samples from the headers before anything runs (8 batches of 2 need 16, 2 files hold 7)', async () => {
    const dir = path.join(tmp, 'images');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.npy'), encodeNpy({ dtype: 'float32', shape: [2, 5], data: new Float32Array(10) }));
    fs.writeFileSync(path.join(dir, 'b.npy'), encodeNpy({ dtype: 'float32', shape: [5, 5], data: new Float32Array(25) }));
    const { deps, log } = fakeDeps();
    const err = await runCalibration(options(['--batch_num', '8'], 'input:2,5'), deps, { ...capture(), isTTY: false }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CALIBRATION_INCOMPLETE' });
    expect(err.message).toMatch(/holds 7 samples, but 8 batches of 2 need 16/);
    expect(log.calls).toEqual([]);
    expect(fs.readdirSync(tmp)).toEqual(['images']);
  });

  it('the batch_num of a .cfg counts: too few samples for it fail before anything is written', async () => {
    writePngs(path.join(tmp, 'images'), 4);
    const cfg = path.join(tmp, 'c.cfg');
    fs.writeFileSync(cfg, 'batch_num: 3\n');
    const { deps, log } = fakeDeps();
    const err = await runCalibration(options(['--calibration_config', cfg]), deps, { ...capture(), isTTY: false }).catch((e) => e);
    expect(err.message).toMatch(/holds 4 samples, but 3 batches of 2 need 6/);
    expect(log.calls).toEqual([]);
    expect(fs.readdirSync(tmp).sort()).toEqual(['c.cfg', 'images']);
  });

  it('a .npy file of the wrong sample shape fails before anything runs', async () => {
    const dir = path.join(tmp, 'images');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.npy'), encodeNpy({ dtype: 'float32', shape: [2, 4], data: new Float32Array(8) }));
    const { deps, log } = fakeDeps();
    const err = await runCalibration(options([], 'input:2,5'), deps, { ...capture(), isTTY: false }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CALIBRATION_DATA_INVALID', file: path.join(dir, 'a.npy') });
    expect(log.calls).toEqual([]);
  });

  it('a failure while calibrating removes the files the run wrote, keeps files that were there, and disposes the session', async () => {
    writePngs(path.join(tmp, 'images'), 4);
    const { deps, log } = fakeDeps({ failRunAt: 1 });
    const err = await runCalibration(options(['--batch_num', '2']), deps, { ...capture(), isTTY: false }).catch((e) => e);
    expect(err.message).toBe('kernel exploded');
    expect(log.calls).toContain('createQuantConfig model_config.json');
    expect(log.sessionDisposed).toBe(true);
    expect(fs.readdirSync(tmp)).toEqual(['images']); // the config and the out/ folder it made are gone

    fs.mkdirSync(path.join(tmp, 'out'));
    fs.writeFileSync(path.join(tmp, 'out', 'model_record.txt'), 'old record\n');
    await runCalibration(options(['--batch_num', '2']), fakeDeps({ failRunAt: 1 }).deps, { ...capture(), isTTY: false }).catch((e) => e);
    expect(fs.readdirSync(path.join(tmp, 'out'))).toEqual(['model_record.txt']);
  });

  it('rejects an input name that is not in the graph, listing the placeholders', async () => {
    writePngs(path.join(tmp, 'images'), 1);
    const err = await runCalibration(options([], 'inputs:1,4,4,3'), fakeDeps().deps, { ...capture(), isTTY: false }).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.code).toBe('NODE_NOT_FOUND');
    expect(err.message).toBe('input "inputs" in --input_shape is not a node of the model. Hint: the model\'s placeholders are: input');
  });

  it('rejects an output that is not in the graph', async () => {
    writePngs(path.join(tmp, 'images'), 1);
    const o = { ...options([], 'input:1,4,4,3'), outputs: ['nope:0'] };
    await expect(runCalibration(o, fakeDeps().deps, { ...capture(), isTTY: false })).rejects.toThrow(/output "nope:0" in --outputs is not a node/);
  });

  it('rejects a shape that contradicts the placeholder', async () => {
    writePngs(path.join(tmp, 'images'), 2);
    const { deps } = fakeDeps({ placeholderShape: [-1, 224, 224, 3] });
    await expect(runCalibration(options(), deps, { ...capture(), isTTY: false })).rejects.toThrow(/fed shape \[2,4,4,3\] but the model declares \[-1,224,224,3\]/);
  });

  it.each([
    [['--batch_size', '3'], 'input:2,4,4,3', /--batch_size 3 contradicts batch dimension 2/],
    [[], 'input:-1,4,4,3', /batch size of input "input" is unknown/],
    [['--resize', '8,8'], 'input:1,4,4,3', /--resize 8,8 disagrees/],
    [[], 'input:1,-1,4,3', /image size of input "input" is unknown/],
    [[], 'input:1,4,4', /must be n,h,w,c/],
    [[], 'input:1,4,4,4', /1 or 3 channels/],
    [['--mean', '1,2'], 'input:1,4,4,3', /--mean has 2 values for 3-channel images/],
  ])('usage error %j %s', async (extra, shape, message) => {
    writePngs(path.join(tmp, 'images'), 2);
    await expect(runCalibration(options(extra, shape), fakeDeps().deps, { ...capture(), isTTY: false })).rejects.toThrow(message);
  });

  it('names the folder when the data dir is empty', async () => {
    fs.mkdirSync(path.join(tmp, 'images'));
    await expect(runCalibration(options(), fakeDeps().deps, { ...capture(), isTTY: false })).rejects.toMatchObject({
      code: 'CALIBRATION_DATA_INVALID', file: path.join(tmp, 'images'),
    });
  });
});
