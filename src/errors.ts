/**
 * Every failure a user can cause is an AmctError: a stable `code` to branch on, the file,
 * node or layer concerned, and a hint at the fix. Internal invariants use `assert` from
 * this module instead, so a broken invariant is never mistaken for bad input.
 */

export type ErrorCode =
  // files and formats
  | 'FILE_NOT_FOUND'
  | 'FILE_READ_FAILED'
  | 'FILE_WRITE_FAILED'
  | 'OUTPUT_WOULD_OVERWRITE_INPUT'
  | 'PROTOBUF_MALFORMED'
  | 'MODEL_JSON_MALFORMED'
  | 'WEIGHTS_MISSING'
  | 'WEIGHTS_SHORT'
  | 'UNSUPPORTED_DTYPE'
  | 'UNSUPPORTED_FORMAT'
  | 'TENSOR_TOO_LARGE'
  | 'OUTPUT_NOT_REGULAR_FILE'
  // graph
  | 'NODE_NOT_FOUND'
  | 'DUPLICATE_NODE'
  | 'DANGLING_INPUT'
  | 'GRAPH_CYCLE'
  | 'INVALID_GRAPH'
  | 'INVALID_TENSOR_NAME'
  // session
  | 'UNSUPPORTED_OP'
  | 'BACKEND_UNAVAILABLE'
  | 'FEED_UNKNOWN'
  | 'FEED_MISSING'
  | 'FEED_SHAPE_MISMATCH'
  | 'FEED_DTYPE_MISMATCH'
  | 'FEED_TOO_LARGE'
  | 'FETCH_UNKNOWN'
  | 'SESSION_DISPOSED'
  | 'EXECUTION_FAILED'
  | 'OUT_OF_MEMORY'
  // config, layers, record, calibration, save
  | 'CONFIG_INVALID'
  | 'CONFIG_PARSE_FAILED'
  | 'LAYER_NOT_FOUND'
  | 'LAYER_NOT_QUANTIZABLE'
  | 'NO_LAYER_TO_QUANTIZE'
  | 'RECORD_PARSE_FAILED'
  | 'RECORD_INVALID'
  | 'RECORD_EMPTY'
  | 'RECORD_MISSING_LAYER'
  | 'RECORD_MODEL_MISMATCH'
  | 'RECORD_STALE'
  | 'CALIBRATION_DATA_INVALID'
  | 'CALIBRATION_INCOMPLETE'
  | 'BIAS_OVERFLOW'
  | 'MODEL_ALREADY_QUANTIZED'
  | 'INVALID_ARGUMENT'
  // accuracy-based auto calibration (SPEC §9)
  | 'EVALUATOR_INVALID'
  | 'EVALUATOR_FAILED'
  | 'EVALUATOR_RESULT_INVALID'
  | 'ACCURACY_TARGET_NOT_MET';

export interface ErrorContext {
  /** The file the problem is in or about. */
  file?: string;
  /** The graph node concerned. */
  node?: string;
  /** The quantizable layer concerned (a node name). */
  layer?: string;
  /** The config field concerned, as a JSON path or field name. */
  field?: string;
  /** 1-based line in a text file. */
  line?: number;
  /** What the user can do about it. */
  hint?: string;
  /** The lower-level error this one explains. */
  cause?: unknown;
}

export class AmctError extends Error {
  readonly code: ErrorCode;
  readonly file?: string;
  readonly node?: string;
  readonly layer?: string;
  readonly field?: string;
  readonly line?: number;
  readonly hint?: string;
  /** What went wrong, without the location and hint `message` adds (for re-wrapping). */
  readonly detail: string;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}) {
    super(AmctError.compose(message, context), context.cause !== undefined ? { cause: context.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.detail = message;
    this.file = context.file;
    this.node = context.node;
    this.layer = context.layer;
    this.field = context.field;
    this.line = context.line;
    this.hint = context.hint;
  }

  /** The message a user reads: what went wrong, where, and what to do. */
  private static compose(message: string, c: ErrorContext): string {
    const where: string[] = [];
    if (c.file !== undefined) where.push(`file ${c.file}${c.line !== undefined ? `:${c.line}` : ''}`);
    else if (c.line !== undefined) where.push(`line ${c.line}`);
    if (c.layer !== undefined && !message.includes(c.layer)) where.push(`layer ${c.layer}`);
    if (c.node !== undefined && !message.includes(c.node)) where.push(`node ${c.node}`);
    if (c.field !== undefined && !message.includes(c.field)) where.push(`field ${c.field}`);
    let text = message;
    if (where.length > 0) text += ` (${where.join(', ')})`;
    if (c.hint) text += `. Hint: ${c.hint}`;
    return text;
  }
}

/** Reading or writing model, config or record files. */
export class FileFormatError extends AmctError {}
/** A graph that is inconsistent, or an edit that would make it so. */
export class GraphError extends AmctError {}
/** Running a graph: backends, feeds, fetches, unsupported ops. */
export class SessionError extends AmctError {}
/** Quantization config (JSON or simplified .cfg) and layer selection. */
export class ConfigError extends AmctError {}
/** The scale/offset record file. */
export class RecordError extends AmctError {}
/** Calibration data and statistics. */
export class CalibrationError extends AmctError {}
/** Writing the deployable model. */
export class QuantizeError extends AmctError {}
/** Accuracy-based auto calibration: the evaluator, the search and its target (SPEC §9). */
export class AutoCalibrationError extends AmctError {}

/** Internal invariant; a failure here is a bug in amct-ts, not bad input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`amct-ts internal error: ${message}`);
}

export function isAmctError(e: unknown): e is AmctError {
  return e instanceof AmctError;
}

/** Text of an unknown thrown value, for wrapping dependency errors. */
export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
