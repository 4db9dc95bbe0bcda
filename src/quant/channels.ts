/**
 * Channel layout of a dense row-major tensor: element i belongs to channel
 * `floor(i / inner) % channels` where `inner` is the product of the dims after the axis.
 * Weights and activations use the same rule, so ARQ, weight quantization and
 * AscendDequant all agree on which scale an element takes.
 */
import { QuantizeError } from '../errors';
import { floor } from './round';

export interface ChannelLayout {
  /** Number of channels (1 for per-tensor). */
  channels: number;
  /** Product of the dims after the channel axis. */
  inner: number;
  /** Total element count. */
  size: number;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Layout along `axis` (negative counts from the end); `undefined` means per tensor.
 * Throws INVALID_ARGUMENT for a bad shape or axis: these come from graph attributes,
 * which a user can get wrong.
 */
export function channelLayout(shape: readonly number[], axis: number | undefined, what = 'tensor'): ChannelLayout {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new QuantizeError('INVALID_ARGUMENT', `Shape [${shape.join(', ')}] of ${what} has an invalid dimension`, { hint: 'the weight Const has a malformed shape; re-export the model' });
    }
  }
  const size = elementCount(shape);
  if (axis === undefined) return { channels: 1, inner: size, size };
  const a = axis < 0 ? axis + shape.length : axis;
  if (!Number.isInteger(a) || a < 0 || a >= shape.length) {
    throw new QuantizeError('INVALID_ARGUMENT', `Channel axis ${axis} is out of range for ${what} of shape [${shape.join(', ')}]`, { hint: 'the weight does not have the rank its op needs; re-export the model' });
  }
  return { channels: shape[a], inner: elementCount(shape.slice(a + 1)), size };
}

/** Channel of flat element i (see the file comment). */
export function channelOf(i: number, inner: number, channels: number): number {
  return floor(i / inner) % channels;
}

/** Checks that `data.length` matches the shape's element count. */
export function checkLength(length: number, layout: ChannelLayout, what = 'tensor'): void {
  if (length !== layout.size) {
    throw new QuantizeError('INVALID_ARGUMENT', `${what} has ${length} elements but its shape holds ${layout.size}`, { hint: 'the weight Const is inconsistent; re-export the model' });
  }
}

/**
 * Checks a per-channel parameter vector: length 1 (broadcast) or one per channel.
 * Returns the stride selector: 0 when broadcast, 1 otherwise.
 */
export function paramStride(paramLength: number, layout: ChannelLayout, what: string): 0 | 1 {
  if (paramLength === 1) return 0;
  if (paramLength === layout.channels) return 1;
  throw new QuantizeError(
    'INVALID_ARGUMENT',
    `${what} has ${paramLength} values; expected 1 or ${layout.channels} (one per channel)`,
    { hint: 'the record does not fit this layer; regenerate it with the calibration (or fix it by hand for convert_model)' },
  );
}

/**
 * Depthwise filters (HWCM) are calibrated per input channel C (SPEC §2), but the op has
 * C·M outputs ordered c·M + m. Anything indexed by output channel (deq_scale, bias)
 * needs scale_w repeated M times per input channel; with M = 1 this is the identity.
 */
export function expandDepthwiseScale(scaleW: Float32Array, multiplier: number): Float32Array {
  if (!Number.isInteger(multiplier) || multiplier < 1) {
    throw new QuantizeError('INVALID_ARGUMENT', `Depthwise channel multiplier ${multiplier} must be a positive integer`, { hint: 'the depthwise filter has a malformed shape; re-export the model' });
  }
  const out = new Float32Array(scaleW.length * multiplier);
  for (let c = 0; c < scaleW.length; c++) out.fill(scaleW[c], c * multiplier, (c + 1) * multiplier);
  return out;
}
