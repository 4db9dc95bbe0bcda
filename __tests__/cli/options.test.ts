import { UsageError } from '../../src/cli/usage-error';
import { parseCalibrationArgs, parseDims } from '../../src/cli/options';

const REQUIRED = ['--model', 'm.pb', '--outputs', 'out:0', '--input_shape', 'input:1,224,224,3', '--data_dir', './images', '--save_path', './out/model'];

function usageError(argv: string[]): UsageError {
  try {
    parseCalibrationArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('parseCalibrationArgs', () => {
  it('reads the AMCT-named options with their defaults', () => {
    const o = parseCalibrationArgs(REQUIRED)!;
    expect(o).toMatchObject({
      model: 'm.pb',
      outputs: ['out:0'],
      inputs: [{ name: 'input', shape: [1, 224, 224, 3], dataDir: './images', dataType: 'float32' }],
      savePath: './out/model',
      batchNum: 1,
      batchNumGiven: false,
      verbose: false,
      image: { flip: false, channelOrder: 'RGB', unitRange: false },
    });
    expect(o.batchSize).toBeUndefined();
    expect(o.calibrationConfig).toBeUndefined();
  });

  it('accepts --name=value, several inputs and outputs, and all optional options', () => {
    const o = parseCalibrationArgs([
      '--model=m.pb', '--outputs=a:0;b:1', '--input_shape=x:0:-1,8,8,3; y:2,10', '--data_dir=d1;d2', '--data_types=uint8;float32',
      '--save_path=o/p', '--calibration_config=c.cfg', '--batch_num=3', '--batch_size=2', '--resize=8,8', '--center_crop=0.875',
      '--flip', '--channel_order=bgr', '--mean=-1,0,1', '--std', '2', '--unit_range', '--backend', 'node', '--verbose',
    ])!;
    expect(o.outputs).toEqual(['a:0', 'b:1']);
    expect(o.inputs).toEqual([
      { name: 'x:0', shape: [-1, 8, 8, 3], dataDir: 'd1', dataType: 'uint8' },
      { name: 'y', shape: [2, 10], dataDir: 'd2', dataType: 'float32' },
    ]);
    expect(o).toMatchObject({ calibrationConfig: 'c.cfg', batchNum: 3, batchNumGiven: true, batchSize: 2, backend: 'tfjs-node', verbose: true });
    expect(o.image).toEqual({ resize: [8, 8], centralFraction: 0.875, flip: true, channelOrder: 'BGR', mean: [-1, 0, 1], std: [2], unitRange: true });
  });

  it('takes --data_type as an alias of AMCT\'s --data_types', () => {
    expect(parseCalibrationArgs([...REQUIRED, '--data_type', 'uint8'])!.inputs[0].dataType).toBe('uint8');
  });

  it('returns undefined for --help, -h and AMCT\'s --h', () => {
    for (const h of ['--help', '-h', '--h']) expect(parseCalibrationArgs([h])).toBeUndefined();
  });

  it.each(['model', 'outputs', 'input_shape', 'data_dir', 'save_path'])('requires --%s', (name) => {
    const argv = [...REQUIRED];
    argv.splice(argv.indexOf(`--${name}`), 2);
    const e = usageError(argv);
    expect(e.message).toMatch(new RegExp(`^missing required option --${name}\\. Hint: run "amct-ts calibration --help"`));
    expect(e.code).toBe('INVALID_ARGUMENT');
  });

  it.each([
    [['--input_shape', 'input:1,2x,3'], /bad shape "1,2x,3" in --input_shape/],
    [['--input_shape', 'input:1,0,3'], /bad shape/],
    [['--input_shape', '1,224,224,3'], /bad --input_shape entry "1,224,224,3".*name:dims/],
    [['--data_dir', 'a;b'], /names 1 input\(s\) but --data_dir gives 2 folder/],
    [['--data_types', 'float17'], /unknown data type "float17".*float32, float64/],
    [['--batch_num', '0'], /--batch_num must be a positive integer, got "0"/],
    [['--batch_size', '2.5'], /--batch_size must be a positive integer/],
    [['--mean', '1,a'], /--mean must be numbers/],
    [['--channel_order', 'RGBA'], /--channel_order must be RGB or BGR/],
    [['--resize', '224'], /--resize takes HEIGHT,WIDTH/],
    [['--center_crop', '1.2'], /--center_crop takes a fraction/],
    [['--backend', 'gpu'], /unknown --backend "gpu"/],
    [['--evaluator', 'e.js'], /--input_shape is not used with --evaluator/],
    [['--strategy', 'BinarySearch'], /--strategy needs --evaluator/],
    [['--no_balancer'], /--no_balancer needs --evaluator/],
    [['--foo'], /^Unknown option '--foo'\. Hint/],
    [['extra'], /unexpected argument "extra"/],
    [['--mean', '-1,0,1'], /ambiguous.*--option=value/],
    [['--model'], /argument missing/],
  ])('%j → %p', (extra, message) => {
    expect(usageError([...REQUIRED, ...extra]).message).toMatch(message);
  });
});

describe('parseDims', () => {
  it('reads -1 and ? as unknown', () => {
    expect(parseDims('-1,?,3', 'x')).toEqual([-1, -1, 3]);
  });
});
