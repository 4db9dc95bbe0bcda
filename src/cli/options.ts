/**
 * `amct-ts calibration` options, named as AMCT's amct_tensorflow command line names them
 * (--model, --outputs, --input_shape, --data_dir, --data_types, --save_path,
 * --calibration_config, --batch_num, --evaluator), plus image preprocessing of our own.
 * Multi-input values are separated by ';' as in AMCT: --input_shape "a:1,224,224,3;b:1,10".
 */
import { parseArgs } from 'util';
import { STRATEGIES } from '../analysis/auto-calibration-search';
import { BIN_DTYPES, BinDtype, ChannelOrder, isBinDtype } from '../data';
import { UsageError } from './usage-error';

export interface InputSpec {
  /** Node or tensor name fed, as given ("input" or "input:0"). */
  name: string;
  /** Full shape including the batch axis; -1 marks a dimension to be inferred. */
  shape: number[];
  dataDir: string;
  /** Element type of .bin files for this input (AMCT's --data_types). */
  dataType: BinDtype;
}

export interface ImageOptions {
  resize?: [number, number];
  centralFraction?: number;
  flip: boolean;
  channelOrder: ChannelOrder;
  mean?: number[];
  std?: number[];
  unitRange: boolean;
}

export interface CalibrationOptions {
  model: string;
  outputs: string[];
  inputs: InputSpec[];
  savePath: string;
  calibrationConfig?: string;
  batchNum: number;
  /** Whether --batch_num was given (a .cfg's batch_num wins otherwise). */
  batchNumGiven: boolean;
  batchSize?: number;
  image: ImageOptions;
  backend?: string;
  verbose: boolean;
  /** `--evaluator FILE.js`: run accuracyBasedAutoCalibration with the evaluator the module exports. */
  evaluator?: string;
  /** `--strategy` of the auto calibration (only with --evaluator). */
  strategy?: string;
  /** `--no_balancer`: skip the auto calibration's DMQ balancer step (AMCT's flow; only with --evaluator). */
  noBalancer?: boolean;
}

export const OPTION_SPEC = {
  help: { type: 'boolean', short: 'h' },
  h: { type: 'boolean' }, // AMCT spells help "--h" too
  model: { type: 'string' },
  outputs: { type: 'string' },
  input_shape: { type: 'string' },
  data_dir: { type: 'string' },
  data_types: { type: 'string' },
  data_type: { type: 'string' },
  save_path: { type: 'string' },
  calibration_config: { type: 'string' },
  batch_num: { type: 'string' },
  batch_size: { type: 'string' },
  evaluator: { type: 'string' },
  strategy: { type: 'string' },
  no_balancer: { type: 'boolean' },
  resize: { type: 'string' },
  center_crop: { type: 'string' },
  flip: { type: 'boolean' },
  channel_order: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  unit_range: { type: 'boolean' },
  backend: { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTION_SPEC; allowPositionals: true }>>['values'];

/** Parses argv after the command name; returns undefined when help was asked for. */
export function parseCalibrationArgs(argv: string[]): CalibrationOptions | undefined {
  const values = parseRaw(argv);
  if (values.help || values.h) return undefined;
  const withEvaluator = values.evaluator !== undefined;
  checkEvaluatorOptions(values);
  const required = withEvaluator ? (['model', 'outputs', 'save_path'] as const) : (['model', 'outputs', 'save_path', 'input_shape', 'data_dir'] as const);
  for (const name of required) {
    if (!values[name]) throw new UsageError(`missing required option --${name}`);
  }
  const batchNum = values.batch_num !== undefined ? positiveInt(values.batch_num, 'batch_num') : 1;
  return {
    model: values.model!,
    outputs: splitList(values.outputs!, /[;,]/),
    inputs: withEvaluator ? [] : parseInputs(values),
    savePath: values.save_path!,
    calibrationConfig: values.calibration_config,
    batchNum,
    batchNumGiven: values.batch_num !== undefined,
    batchSize: values.batch_size !== undefined ? positiveInt(values.batch_size, 'batch_size') : undefined,
    image: parseImageOptions(values),
    backend: parseBackend(values.backend),
    verbose: values.verbose ?? false,
    ...(withEvaluator ? { evaluator: values.evaluator, strategy: values.strategy, noBalancer: values.no_balancer ?? false } : {}),
  };
}

/** Options that feed calibration data: the evaluator's calibration() does that itself. */
const DATA_OPTIONS = ['input_shape', 'data_dir', 'data_types', 'data_type', 'batch_size', 'resize', 'center_crop', 'flip', 'channel_order', 'mean', 'std', 'unit_range'] as const;

function checkEvaluatorOptions(values: Values): void {
  if (values.evaluator === undefined) {
    if (values.strategy !== undefined) throw new UsageError('--strategy needs --evaluator', { hint: 'the search strategy is for accuracy-based auto calibration: add --evaluator FILE.js' });
    if (values.no_balancer !== undefined) throw new UsageError('--no_balancer needs --evaluator', { hint: 'the balancer step is part of accuracy-based auto calibration: add --evaluator FILE.js' });
    return;
  }
  if (values.evaluator.length === 0) throw new UsageError('--evaluator needs the path of a .js module');
  const given = DATA_OPTIONS.filter((o) => values[o] !== undefined);
  if (given.length > 0) {
    throw new UsageError(`--${given[0]} is not used with --evaluator: your evaluator's calibration() feeds the calibration data`, {
      hint: 'drop the data options, or drop --evaluator to calibrate on --data_dir',
    });
  }
  if (values.strategy !== undefined && !(STRATEGIES as readonly string[]).includes(values.strategy)) {
    throw new UsageError(`unknown --strategy "${values.strategy}"`, { hint: `use ${STRATEGIES.join(', ')} (default BinarySearch)` });
  }
}

function parseRaw(argv: string[]): Values {
  return parseStrict(argv, OPTION_SPEC);
}

type OptionSpec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** util.parseArgs, strict, no positionals; its errors become UsageErrors (exit code 2). Shared by every command. */
export function parseStrict<S extends NonNullable<OptionSpec>>(argv: string[], spec: S): ReturnType<typeof parseArgs<{ options: S; allowPositionals: true; strict: true }>>['values'] {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: spec, allowPositionals: true, strict: true });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, { hint: 'options take the form --name value or --name=value' });
    return values;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // util.parseArgs explains itself well; keep its first sentence, drop the Node error code.
    // Duck-typed: Node's errors come from another realm under test runners, failing instanceof.
    const raw = typeof (e as Error)?.message === 'string' ? (e as Error).message : String(e);
    const text = raw.split('\n')[0].replace(/\.\s*To specify.*$/, '');
    const ambiguous = /ambiguous/.test(text);
    throw new UsageError(text, ambiguous ? { hint: 'write --option=value when the value starts with "-", e.g. --mean=-1,0,1' } : {});
  }
}

export function splitList(text: string, sep: RegExp | string): string[] {
  return text.split(sep).map((s) => s.trim()).filter((s) => s.length > 0);
}

export function positiveInt(text: string, option: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`--${option} must be a positive integer, got "${text}"`);
  }
  return n;
}

/** "1,224,224,3" → [1,224,224,3]; -1 (or ?) marks an unknown dimension. */
export function parseDims(text: string, option: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const dims = parts.map((p) => (p === '?' ? -1 : Number(p)));
  if (parts.some((p) => !/^(-1|\d+|\?)$/.test(p)) || dims.some((d) => d === 0)) {
    throw new UsageError(`bad shape "${text}" in --${option}`, { hint: 'write dimensions as positive integers separated by commas, e.g. "input:1,224,224,3"' });
  }
  return dims;
}

/** --input_shape "name:dims;name2:dims" zipped with --data_dir "d1;d2" and --data_types "float32;uint8". */
export function parseInputs(values: Values): InputSpec[] {
  const shapes = splitList(values.input_shape!, ';');
  const dirs = splitList(values.data_dir!, ';');
  const typeText = values.data_types ?? values.data_type ?? 'float32';
  const types = splitList(typeText, ';');
  if (dirs.length !== shapes.length) {
    throw new UsageError(`--input_shape names ${shapes.length} input(s) but --data_dir gives ${dirs.length} folder(s)`, { hint: 'give one folder per input, separated by ";"' });
  }
  if (types.length !== 1 && types.length !== shapes.length) {
    throw new UsageError(`--data_types gives ${types.length} types for ${shapes.length} inputs`, { hint: 'give one type, or one per input separated by ";"' });
  }
  return shapes.map((entry, i) => {
    const colon = entry.lastIndexOf(':');
    if (colon <= 0) throw new UsageError(`bad --input_shape entry "${entry}"`, { hint: 'write "name:dims", e.g. "input:1,224,224,3"' });
    const dataType = types.length === 1 ? types[0] : types[i];
    if (!isBinDtype(dataType)) throw new UsageError(`unknown data type "${dataType}" in --data_types`, { hint: `use one of ${BIN_DTYPES.join(', ')}` });
    return { name: entry.slice(0, colon).trim(), shape: parseDims(entry.slice(colon + 1), 'input_shape'), dataDir: dirs[i], dataType };
  });
}

function numbers(text: string, option: string): number[] {
  const out = splitList(text, ',').map(Number);
  if (out.length === 0 || out.some((v) => !Number.isFinite(v))) {
    throw new UsageError(`--${option} must be numbers separated by commas, got "${text}"`, { hint: `e.g. --${option}=127.5,127.5,127.5 (use "=" when the first value is negative)` });
  }
  return out;
}

export function parseImageOptions(values: Values): ImageOptions {
  const order = (values.channel_order ?? 'RGB').toUpperCase();
  if (order !== 'RGB' && order !== 'BGR') throw new UsageError(`--channel_order must be RGB or BGR, got "${values.channel_order}"`);
  let resize: [number, number] | undefined;
  if (values.resize !== undefined) {
    const dims = parseDims(values.resize, 'resize');
    if (dims.length !== 2 || dims.some((d) => d < 0)) throw new UsageError(`--resize takes HEIGHT,WIDTH, got "${values.resize}"`);
    resize = [dims[0], dims[1]];
  }
  let centralFraction: number | undefined;
  if (values.center_crop !== undefined) {
    centralFraction = Number(values.center_crop);
    if (!(centralFraction > 0 && centralFraction <= 1)) throw new UsageError(`--center_crop takes a fraction in (0, 1], got "${values.center_crop}"`, { hint: 'e.g. --center_crop 0.875' });
  }
  return {
    resize,
    centralFraction,
    flip: values.flip ?? false,
    channelOrder: order,
    mean: values.mean !== undefined ? numbers(values.mean, 'mean') : undefined,
    std: values.std !== undefined ? numbers(values.std, 'std') : undefined,
    unitRange: values.unit_range ?? false,
  };
}

/** Session backends (src/runtime/backend.ts); "node" and "tensorflow" (tfjs's own name) mean tfjs-node. */
const BACKENDS = ['tfjs-node', 'wasm', 'cpu'];

export function parseBackend(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const b = text === 'node' || text === 'tensorflow' ? 'tfjs-node' : text;
  if (!BACKENDS.includes(b)) throw new UsageError(`unknown --backend "${text}"`, { hint: 'use wasm, cpu, or tfjs-node (needs @tensorflow/tfjs-node installed)' });
  return b;
}
