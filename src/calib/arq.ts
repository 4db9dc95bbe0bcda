/**
 * ARQ weight calibration (SPEC §7): symmetric, offset_w = 0, scale_w = max(|w|)/127 per
 * channel along `channelAxis` (undefined = per tensor). Scales below FLT_EPSILON become 1
 * (AMCT's ProcessScale), which covers the all-zero channel SPEC names.
 *
 * Channel axes by op (SPEC §2): Conv2D HWIO → 3; Conv2DBackpropInput HWOI → 2; Conv3D
 * DHWIO → 4; DepthwiseConv2dNative HWCM → 2, i.e. one scale per INPUT channel shared by
 * its M multiplier outputs (output channel c·M + m uses scale_w[c]; see
 * expandDepthwiseScale in quant/ for the per-output-channel vector deq_scale needs).
 */
import { CalibrationError } from '../errors';
import { channelLayout, checkLength } from '../quant/channels';
import { f32, processScale } from '../quant/round';
import { checkNumBits } from './common';

export interface ArqResult {
  /** One scale per channel, or one for the tensor. */
  scale: Float32Array;
  /** offset_w, all zeros (symmetric). */
  offset: Int32Array;
}

export function arq(
  weights: Float32Array,
  shape: readonly number[],
  channelAxis: number | undefined,
  numBits = 8,
  layer?: string,
): ArqResult {
  checkNumBits(numBits, layer);
  const layout = channelLayout(shape, channelAxis, layer !== undefined ? `the weight of layer ${layer}` : 'weight');
  checkLength(weights.length, layout, 'weight');
  if (weights.length === 0) {
    throw new CalibrationError('CALIBRATION_DATA_INVALID', `Weight of layer ${layer ?? '(unnamed)'} is empty`, { layer });
  }
  const { channels, inner } = layout;
  const maxAbs = new Float64Array(channels);
  // The channel advances with counters (channel c holds blocks of `inner`, repeating), not
  // a division per weight: channelOf cost ~10 ns of the ~11 per weight.
  let c = 0;
  let k = 0;
  for (let i = 0; i < weights.length; i++) {
    const x = weights[i];
    if (x - x !== 0) {
      throw new CalibrationError('CALIBRATION_DATA_INVALID', `Weight of layer ${layer ?? '(unnamed)'} contains ${Number.isNaN(x) ? 'NaN' : 'Inf'}`, {
        layer,
        hint: 'the model file holds non-finite weights; fix the model or skip the layer',
      });
    }
    const a = x < 0 ? -x : x;
    if (a > maxAbs[c]) maxAbs[c] = a;
    if (++k === inner) {
      k = 0;
      if (++c === channels) c = 0;
    }
  }
  const qmax = 2 ** (numBits - 1) - 1;
  const scale = new Float32Array(channels);
  for (let ch = 0; ch < channels; ch++) scale[ch] = processScale(f32(maxAbs[ch] / qmax));
  return { scale, offset: new Int32Array(channels) };
}
