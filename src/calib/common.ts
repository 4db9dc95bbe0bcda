/**
 * Types and input checks shared by the calibration algorithms. Calibration data comes
 * from the user's model and inputs, so bad data is a CalibrationError naming the layer,
 * never an assertion.
 */
import { CalibrationError } from '../errors';
import { f32 } from '../quant/round';

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

/**
 * Number of candidates: AMCT's `unsigned((end − start)/step + 1)` in float32. Note that
 * with the default [0.7, 1.3] step 0.01 this is 60, not 61: in float32 (1.3 − 0.7)/0.01 is
 * 59.999996, so k = 1.3 is never tried. We keep that to reproduce AMCT's records.
 */
export function candidateCount(params: Pick<IfmrParams, 'searchRange' | 'searchStep'>): number {
  const [start, end] = params.searchRange;
  const q = f32(f32(f32(end) - f32(start)) / f32(params.searchStep));
  return Math.max(1, Math.trunc(f32(q + 1)));
}

/**
 * Most IFMR candidates one layer may try: (end − start)/step + 1, counted in float32 as
 * the calibration does. Each candidate is a pass over the layer's activations, so a
 * config with search_range ending at 9e18 or a search_step of 1e-320 would never return.
 * AMCT's default is 60; 10,000 is a step of 1e-4 over a range of 1.
 */
export const MAX_IFMR_CANDIDATES = 10_000;

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
  const count = candidateCount(p);
  if (!(count <= MAX_IFMR_CANDIDATES)) {
    throw invalid(`search_range [${start}, ${end}] with search_step ${p.searchStep} gives ${count} candidates; the limit is ${MAX_IFMR_CANDIDATES}`, layer, 'search_step');
  }
  checkNumBits(p.numBits ?? 8, layer);
}
