/**
 * `amct-ts analyze` options: the calibration command's model, output and input options
 * (same names, same parsing: --input_shape/--data_dir/--data_types, image options,
 * --batch_num, --batch_size, --backend) plus --record_file (the calibration's record)
 * and --report (FILE.json or FILE.html).
 */
import { OPTION_SPEC, parseBackend, parseImageOptions, parseInputs, parseStrict, positiveInt, splitList } from './options';
import type { ImageOptions, InputSpec } from './options';
import { UsageError } from './usage-error';

export interface AnalyzeCliOptions {
  model: string;
  outputs: string[];
  recordFile: string;
  report: string;
  inputs: InputSpec[];
  /** Batches to analyze (default 1). */
  batchNum: number;
  batchSize?: number;
  image: ImageOptions;
  backend?: string;
  verbose: boolean;
}

export const ANALYZE_OPTION_SPEC = { ...OPTION_SPEC, record_file: { type: 'string' }, report: { type: 'string' } } as const;

/** Options of the calibration command that mean nothing here; refused rather than ignored. */
const CALIBRATION_ONLY = ['save_path', 'calibration_config', 'evaluator', 'strategy'];

/** Parses argv after "analyze"; undefined when help was asked for. */
export function parseAnalyzeArgs(argv: string[]): AnalyzeCliOptions | undefined {
  try {
    return parse(argv);
  } catch (e) {
    // The shared parsers point at the calibration command's help; point at this one.
    if (e instanceof UsageError && e.hint === DEFAULT_HINT) throw new UsageError(e.detail, { node: e.node, hint: ANALYZE_HINT }, e.code);
    throw e;
  }
}

const DEFAULT_HINT = new UsageError('').hint;
const ANALYZE_HINT = 'run "amct-ts analyze --help" for the options';

function parse(argv: string[]): AnalyzeCliOptions | undefined {
  const values = parseStrict(argv, ANALYZE_OPTION_SPEC);
  if (values.help || values.h) return undefined;
  const stray = CALIBRATION_ONLY.find((o) => (values as Record<string, unknown>)[o] !== undefined);
  if (stray) throw new UsageError(`--${stray} is an option of "amct-ts calibration", not of "analyze"`, { hint: ANALYZE_HINT });
  for (const name of ['model', 'outputs', 'record_file', 'input_shape', 'data_dir', 'report'] as const) {
    if (!values[name]) throw new UsageError(`missing required option --${name}`, { hint: ANALYZE_HINT });
  }
  if (!/\.(json|html?)$/i.test(values.report!)) {
    throw new UsageError(`--report must name a .json or .html file, got "${values.report}"`, { hint: 'e.g. --report out/report.html (a page to open in a browser) or out/report.json' });
  }
  return {
    model: values.model!,
    outputs: splitList(values.outputs!, /[;,]/),
    recordFile: values.record_file!,
    report: values.report!,
    inputs: parseInputs(values),
    batchNum: values.batch_num !== undefined ? positiveInt(values.batch_num, 'batch_num') : 1,
    batchSize: values.batch_size !== undefined ? positiveInt(values.batch_size, 'batch_size') : undefined,
    image: parseImageOptions(values),
    backend: parseBackend(values.backend),
    verbose: values.verbose ?? false,
  };
}
