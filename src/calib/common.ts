/**
 * Types and input checks shared by the calibration algorithms. Calibration data comes
 * from the user's model and inputs, so bad data is a CalibrationError naming the layer,
 * never an assertion.
 */
import { CalibrationError } from '../errors';

export interface ScaleOffset {
  /** scale_d (float32 value). */
  scale: number;
  /** offset_d (integer; 0 when symmetric). */
  offset: number;
}

/** IFMR settings as in the config's activation_quant_params (SPEC §3, §7). */
export interface IfmrParams {
  maxPercentile: number;
  minPercentile: number;
  searchRange: readonly [number, number];
  searchStep: number;
  asymmetric: boolean;
  /** Default 8. */
  numBits?: number;
  /** Layer name, used in error messages only. */
  layer?: string;
}

export interface MinMax {
  min: number;
  max: number;
}

/**
 * One pass over a batch: rejects empty input and NaN/±Inf, returns the min and max.
 * `x - x` is NaN exactly when x is NaN or infinite, so one comparison catches both.
 */
export function scanFinite(data: Float32Array, layer?: string): MinMax {
  if (data.length === 0) throw emptyDataError(layer);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x - x !== 0) throw nonFiniteError(x, layer);
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { min, max };
}

function layerText(layer?: string): string {
  return layer !== undefined ? `layer ${layer}` : 'the layer';
}

export function emptyDataError(layer?: string): CalibrationError {
  return new CalibrationError('CALIBRATION_DATA_INVALID', `Calibration data of ${layerText(layer)} is empty`, {
    layer,
    hint: 'feed a non-empty calibration batch; a zero-sized tensor cannot be calibrated',
  });
}

function nonFiniteError(x: number, layer?: string): CalibrationError {
  const what = Number.isNaN(x) ? 'NaN' : 'Inf';
  return new CalibrationError('CALIBRATION_DATA_INVALID', `Calibration data of ${layerText(layer)} contains ${what}`, {
    layer,
    hint: 'check the preprocessing of the calibration inputs, or add the layer to skip layers',
  });
}

function invalid(message: string, layer: string | undefined, field: string): CalibrationError {
  return new CalibrationError('INVALID_ARGUMENT', message, { layer, field, hint: `fix ${field} in the quantization config (SPEC §3 gives the valid values)` });
}

export function checkNumBits(numBits: number, layer?: string): void {
  if (!Number.isInteger(numBits) || numBits < 2 || numBits > 16) {
    throw invalid(`num_bits = ${numBits} must be an integer in [2, 16]`, layer, 'num_bits');
  }
}

/** The same ranges the config validator enforces (SPEC §3), re-checked for direct callers. */
export function checkIfmrParams(p: IfmrParams): void {
  const { layer } = p;
  for (const [name, v] of [['max_percentile', p.maxPercentile], ['min_percentile', p.minPercentile]] as const) {
    if (!(v > 0.5 && v <= 1)) throw invalid(`${name} = ${v} must be in (0.5, 1.0]`, layer, name);
  }
  const [start, end] = p.searchRange;
  if (!(start > 0 && end > start && Number.isFinite(end))) {
    throw invalid(`search_range [${start}, ${end}] must satisfy 0 < start < end`, layer, 'search_range');
  }
  if (!(p.searchStep > 0 && p.searchStep <= end - start)) {
    throw invalid(`search_step = ${p.searchStep} must be in (0, end - start]`, layer, 'search_step');
  }
  checkNumBits(p.numBits ?? 8, layer);
}
