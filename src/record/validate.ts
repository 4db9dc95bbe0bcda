/**
 * The checks SPEC §5 puts on a record, shared by the reader and the writer (so a record
 * the reader would refuse is never written). Each failure names the layer, the field,
 * and the line when the record came from a file.
 */
import { BALANCE_FACTOR_MAX, BALANCE_FACTOR_MIN } from '../calib/balance';
import { RecordError } from '../errors';
import { LayerRecord } from './types';

export interface CheckContext {
  file?: string;
  /** The layer's output channels, when known: scale_w holds 1 or this many values. */
  outputChannels?: number;
  /** The layer's input channels, when known: tensor_balance_factor holds this many values. */
  inputChannels?: number;
  /** Line of the index-th occurrence of a field of this layer's value, when from a file. */
  line?: (field: string, index: number) => number | undefined;
}

const HINT = 'the record is damaged or from another model; run the calibration again to regenerate it';

function fail(key: string, field: string, index: number, message: string, ctx: CheckContext, hint = HINT): never {
  throw new RecordError('RECORD_INVALID', message, { file: ctx.file, line: ctx.line?.(field, index), layer: key, field, hint });
}

const isScale = (v: number) => Number.isFinite(v) && v > 0;

function checkScales(key: string, r: LayerRecord, ctx: CheckContext): void {
  if (r.scaleD !== undefined && !isScale(r.scaleD)) {
    fail(key, 'scale_d', 0, `scale_d of layer ${key} must be a finite number > 0, got ${r.scaleD}`, ctx);
  }
  // Plain loops here and below, not forEach: a callback gets each float boxed on the heap
  // (24,000 allocations for one record).
  for (let j = 0; j < r.scaleW.length; j++) {
    const s = r.scaleW[j];
    if (!isScale(s)) fail(key, 'scale_w', j, `scale_w #${j + 1} of layer ${key} must be a finite number > 0, got ${s}`, ctx);
  }
}

function checkOffsets(key: string, r: LayerRecord, ctx: CheckContext): void {
  if (r.offsetD !== undefined && (r.offsetD < -128 || r.offsetD > 127)) {
    fail(key, 'offset_d', 0, `offset_d of layer ${key} must be in [-128, 127], got ${r.offsetD}`, ctx);
  }
  for (let j = 0; j < r.offsetW.length; j++) {
    const o = r.offsetW[j];
    if (o !== 0) fail(key, 'offset_w', j, `offset_w of layer ${key} must be 0 (weights are quantized symmetrically), got ${o}`, ctx);
  }
  for (let j = 0; j < r.shiftBit.length; j++) {
    const b = r.shiftBit[j];
    if (b < 1 || b > 16) fail(key, 'shift_bit', j, `shift_bit of layer ${key} must be in [1, 16], got ${b}`, ctx);
  }
}

function checkCounts(key: string, r: LayerRecord, ctx: CheckContext): void {
  const n = r.scaleW.length;
  const channels = ctx.outputChannels;
  if (n > 0 && channels !== undefined && n !== 1 && n !== channels) {
    fail(key, 'scale_w', 0, `layer ${key} has ${n} scale_w values; expected 1 or ${channels} (its output channels)`, ctx,
      'the record does not match this model; run quantizeModel and the calibration on this graph again');
  }
  if (r.offsetW.length > 0 && r.offsetW.length !== n) {
    fail(key, 'offset_w', 0, `layer ${key} has ${r.offsetW.length} offset_w values but ${n} scale_w values`, ctx);
  }
}

const BALANCE_HINT = 'tensor_balance_factor holds one factor s_c in [FLT_EPSILON, 1/FLT_EPSILON] per input channel of the layer; calibrate again or fix the values';

/** tensor_balance_factor (SPEC §10): finite, in [FLT_EPSILON, 1/FLT_EPSILON], one per input channel. */
function checkBalanceFactors(key: string, r: LayerRecord, ctx: CheckContext): void {
  const s = r.tensorBalanceFactor ?? [];
  for (let j = 0; j < s.length; j++) {
    const v = s[j];
    if (!(Number.isFinite(v) && v >= BALANCE_FACTOR_MIN && v <= BALANCE_FACTOR_MAX)) {
      fail(key, 'tensor_balance_factor', j, `tensor_balance_factor #${j + 1} of layer ${key} must be a finite number in [FLT_EPSILON, 1/FLT_EPSILON], got ${v}`, ctx, BALANCE_HINT);
    }
  }
  if (s.length > 0 && ctx.inputChannels !== undefined && s.length !== ctx.inputChannels) {
    fail(key, 'tensor_balance_factor', 0, `layer ${key} has ${s.length} tensor_balance_factor values; expected ${ctx.inputChannels} (its input channels)`, ctx, BALANCE_HINT);
  }
}

/** Throws a RecordError (RECORD_INVALID) when the layer's record breaks a SPEC §5 rule. */
export function checkLayerRecord(key: string, record: LayerRecord, ctx: CheckContext = {}): void {
  checkScales(key, record, ctx);
  checkOffsets(key, record, ctx);
  checkCounts(key, record, ctx);
  checkBalanceFactors(key, record, ctx);
}
