/** Per-output-channel maths on weights, for folding BN, Mul and biases into a layer. */
import { numElements } from '../ir';
import type { TensorValue } from '../ir';
import type { WeightLayout } from './op-table';

/**
 * How output channels sit in a weight: element i belongs to channel
 * `floor(i / inner) % count`. For HWCM the last two axes together index the C·M output
 * channels (channel c·M + m), which is exactly how DepthwiseConv2dNative orders its outputs.
 */
export interface ChannelLayout {
  count: number;
  inner: number;
}

export function outputChannelLayout(layout: WeightLayout, dims: readonly number[]): ChannelLayout {
  switch (layout) {
    case 'HWCM':
      return { count: dims[2] * dims[3], inner: 1 };
    case 'HWOI':
      return { count: dims[2], inner: dims[3] };
    case 'HWIO':
    case 'DHWIO':
    case 'KN':
      return { count: dims[dims.length - 1], inner: 1 };
  }
}

/** A new array: w[i] · k[channel of i]. Never writes into `w` (a Const may be shared). */
export function scaleByChannel(w: Float32Array, layout: ChannelLayout, k: ArrayLike<number>): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = w[i] * k[Math.floor(i / layout.inner) % layout.count];
  return out;
}

/**
 * The per-channel values of a constant that is broadcast against a layer output of rank
 * `rank` with `channels` channels on `axis`: a single value (any shape of one element)
 * or C values along the channel axis with every other axis 1 (e.g. [C] or [1,1,1,C] for
 * NHWC). Anything else varies over positions and cannot become a bias: a reason.
 */
export function channelVector(value: TensorValue, channels: number, rank: number, axis: number): Float64Array | string {
  const dims = value.shape.dims;
  const data = value.data as ArrayLike<number>;
  if (dims.length > rank) return `constant of shape [${dims.join(',')}] has more dimensions than the layer output (${rank})`;
  if (numElements(dims) === 1) return new Float64Array(channels).fill(Number(data[0]));
  const aligned = axis - (rank - dims.length);
  const ok = dims.every((d, i) => (i === aligned ? d === channels : d === 1));
  if (!ok) return `constant of shape [${dims.join(',')}] is not one value per output channel (${channels} channels on axis ${axis})`;
  return Float64Array.from(data, Number);
}
