/**
 * QuantArq (SPEC §6): on a layer's weight, outputs the weight quantized to INT8 with ARQ
 * scales and dequantized again, so the layers after it calibrate against the weights the
 * device will really use. Weights are constants, so the work is done once per session:
 * the result is kept as a tensor in the node's state and every later run hands out a
 * tensor sharing its data (the executor frees that one, not the cache).
 */
import { arq } from '../../calib';
import { CalibrationError } from '../../errors';
import { quantizeWeights } from '../../quant';
import { channelLayout } from '../../quant/channels';
import type { KernelContext } from '../kernels';
import { tf } from '../tfjs';
import { shareTensor } from './calibration-read';
import { OUTPUT_KEY, STATE_KEY, weightSettings, WeightState } from './calibration-state';

/**
 * q·scale_w[c] in float32, as the device's dequantization computes it: the product in
 * float64 is exact (8 × 24 bits), and the Float32Array store rounds it once. The channel
 * advances with counters, not a division per weight.
 */
function dequantize(q: Int8Array, shape: readonly number[], scale: Float32Array, channelAxis: number | undefined): Float32Array {
  const { channels, inner } = channelLayout(shape, scale.length === 1 ? undefined : channelAxis, 'weight');
  const out = new Float32Array(q.length);
  let c = 0;
  let k = 0;
  for (let i = 0; i < q.length; i++) {
    out[i] = q[i] * scale[c];
    if (++k === inner) {
      k = 0;
      if (++c === channels) c = 0;
    }
  }
  return out;
}

function readWeight(ctx: KernelContext, layer: string): Float32Array {
  const w = ctx.inputs[0];
  if (w.dtype !== 'float32') {
    throw new CalibrationError('CALIBRATION_DATA_INVALID', `the weight of layer ${layer} is ${w.dtype}; only float32 weights can be quantized`, {
      layer,
      node: ctx.node.name,
      hint: 'add the layer to skip layers',
    });
  }
  return w.dataSync() as Float32Array;
}

function compute(ctx: KernelContext): tf.Tensor {
  const s = weightSettings(ctx.node);
  const shape = ctx.inputs[0].shape;
  const w = readWeight(ctx, s.layer);
  const { scale, offset } = arq(w, shape, s.channelAxis, s.numBits, s.layer);
  const q = quantizeWeights(w, shape, scale, s.channelAxis, s.numBits);
  const output = tf.keep(tf.tensor(dequantize(q, shape, scale, s.channelAxis), shape, 'float32'));
  const state: WeightState = { kind: 'weight', layer: s.layer, recordFile: s.recordFile, scaleW: scale, offsetW: offset };
  // Balanced (SPEC §10): ARQ of w·s is computed when the record is written, once s is known.
  // Until then later layers calibrate against the unbalanced fake-quantized weight.
  if (s.balanceInputAxis !== undefined) state.balance = { weight: w.slice(), shape: [...shape], inputAxis: s.balanceInputAxis, channelAxis: s.channelAxis, numBits: s.numBits };
  ctx.state.set(STATE_KEY, state);
  ctx.state.set(OUTPUT_KEY, output);
  return output;
}

export function arqKernel(ctx: KernelContext): tf.Tensor {
  const cached = ctx.state.get(OUTPUT_KEY) as tf.Tensor | undefined;
  return shareTensor(cached && !cached.isDisposed ? cached : compute(ctx));
}
