/**
 * DMQ balancer maths (SPEC §10), pure: per input channel c of a layer,
 *   s_c = max|x_c|^α / max|w_c|^(1−α)
 * clamped to [FLT_EPSILON, 1/FLT_EPSILON], 1 when the channel's activation or its weights
 * are all zero. The layer is then equivalent to one reading x_c / s_c with weights w_c·s_c:
 * range moves out of the activation (quantized per tensor) into the weights (quantized
 * per output channel, or per tensor for MatMul).
 */
import { CalibrationError } from '../errors';
import { channelLayout, channelOf } from '../quant/channels';
import { f32, FLOAT32_EPSILON } from '../quant/round';

export const BALANCE_FACTOR_MIN = FLOAT32_EPSILON;
export const BALANCE_FACTOR_MAX = 1 / FLOAT32_EPSILON;
/** migration_strength bounds (SPEC §10). */
export const MIGRATION_STRENGTH_RANGE: readonly [number, number] = [0.2, 0.8];

/** The factors of one layer, float32 as the record stores them. */
export function balanceFactors(actMax: ArrayLike<number>, weightMax: ArrayLike<number>, alpha: number, layer?: string): Float32Array {
  if (actMax.length !== weightMax.length) {
    throw new CalibrationError('CALIBRATION_INCOMPLETE',
      `layer ${layer ?? '(unnamed)'}: its input has ${actMax.length} channels but its weight reads ${weightMax.length}`, {
        layer,
        hint: 'the balancer needs the input channels of the data and of the weight to agree; remove dmq_balancer_param from this layer',
      });
  }
  const s = new Float32Array(actMax.length);
  for (let c = 0; c < s.length; c++) {
    const x = actMax[c];
    const w = weightMax[c];
    if (!(x > 0) || !(w > 0)) {
      s[c] = 1;
      continue;
    }
    const v = f32(Math.pow(x, alpha) / Math.pow(w, 1 - alpha));
    s[c] = v < BALANCE_FACTOR_MIN ? BALANCE_FACTOR_MIN : v > BALANCE_FACTOR_MAX ? f32(BALANCE_FACTOR_MAX) : v;
  }
  return s;
}

/** max|w| over the weight elements that read each input channel (`axis` = the input-channel axis). */
export function inputChannelMax(w: Float32Array, shape: readonly number[], axis: number): Float64Array {
  const { channels, inner } = channelLayout(shape, axis, 'weight');
  const out = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i, inner, channels);
    const a = Math.abs(w[i]);
    if (a > out[c]) out[c] = a;
  }
  return out;
}

/** w_c·s_c along the input-channel axis, in float32 (the balanced weight that is quantized). */
export function scaleInputChannels(w: Float32Array, shape: readonly number[], axis: number, s: ArrayLike<number>): Float32Array {
  const { channels, inner } = channelLayout(shape, axis, 'weight');
  if (s.length !== channels) throw new CalibrationError('INVALID_ARGUMENT', `${s.length} balance factors for a weight with ${channels} input channels`, {
    hint: 'tensor_balance_factor holds one factor per input channel of the layer; calibrate this model again',
  });
  const out = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = f32(w[i] * s[channelOf(i, inner, channels)]);
  return out;
}

/** 1/s_c in float32: what the deployable graph multiplies the input by (or folds into its producer). */
export function reciprocalFactors(s: ArrayLike<number>): Float32Array {
  const out = new Float32Array(s.length);
  for (let c = 0; c < s.length; c++) out[c] = f32(1 / s[c]);
  return out;
}
