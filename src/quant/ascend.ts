/**
 * Reference maths of the four Ascend simulation ops (SPEC §6 "Semantics of the Ascend
 * ops"), on typed arrays. Runtime kernels are tested against these, so they follow the
 * simulation kernels literally: round half away from zero, float32 at every step where
 * Huawei's C++ computes in float (mirrored with f32, i.e. Math.fround), integer clamps where the
 * hardware has fixed-width registers.
 */
import { QuantizeError } from '../errors';
import { channelLayout, channelOf, checkLength, paramStride } from './channels';
import { unpackDeqScale } from './deq-scale';
import { clamp, f32, floor, INT32_MAX, INT32_MIN, intRange, roundHalfAwayFromZero } from './round';

/**
 * AscendQuant: y = clamp(round(x·scale) + offset, qmin, qmax) − offset, as floats.
 * `scale` is the op attribute, i.e. 1/scale_d; x·scale is a float32 product.
 */
export function ascendQuant(x: Float32Array, scale: number, offset: number, quantBits = 8): Float32Array {
  const { qmin, qmax } = intRange(quantBits);
  const s = f32(scale);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const q = roundHalfAwayFromZero(f32(x[i] * s)) + offset;
    y[i] = clamp(q, qmin, qmax) - offset;
  }
  return y;
}

/** AscendAntiQuant: y = x·scale. `offset` is accepted for the op's signature only: the
 * input already had the offset removed by AscendQuant, so adding it back would be wrong. */
export function ascendAntiQuant(x: Float32Array, scale: number, _offset = 0): Float32Array {
  const s = f32(scale);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = f32(x[i] * s);
  return y;
}

/**
 * AscendWeightQuant: y = x − offset_w, per output channel. offset_w is a scalar, a
 * length-1 array, or one value per channel along `channelAxis` of `shape`.
 */
export function ascendWeightQuant(
  x: Int8Array,
  offsetW: number | Int8Array = 0,
  shape?: readonly number[],
  channelAxis?: number,
): Float32Array {
  const y = new Float32Array(x.length);
  if (typeof offsetW === 'number' || offsetW.length === 1) {
    const o = typeof offsetW === 'number' ? offsetW : offsetW[0];
    for (let i = 0; i < x.length; i++) y[i] = x[i] - o;
    return y;
  }
  if (shape === undefined || channelAxis === undefined) {
    throw new QuantizeError('INVALID_ARGUMENT', 'Per-channel offset_w needs the weight shape and channel axis', { hint: 'give offset_w one value per output channel of a layer with a constant weight, or a single 0' });
  }
  const layout = channelLayout(shape, channelAxis, 'weight');
  checkLength(x.length, layout, 'weight');
  paramStride(offsetW.length, layout, 'offset_w');
  for (let i = 0; i < x.length; i++) y[i] = x[i] - offsetW[channelOf(i, layout.inner, layout.channels)];
  return y;
}

export interface DequantOptions {
  /** Pooling window [kh, kw]; [1, 1] (default) for conv/MatMul. */
  ksize?: readonly number[];
  /** Axis of C; default the last axis (NHWC). Use 1 for NCHW. */
  channelAxis?: number;
}

interface DecodedDeq {
  scale: Float32Array;
  pow2: Float64Array;
}

function decode(deqScale: BigUint64Array): DecodedDeq {
  const scale = new Float32Array(deqScale.length);
  const pow2 = new Float64Array(deqScale.length);
  for (let c = 0; c < deqScale.length; c++) {
    const f = unpackDeqScale(deqScale[c]);
    scale[c] = f.scale;
    pow2[c] = 2 ** f.shiftN;
  }
  return { scale, pow2 };
}

/**
 * AscendDequant: with d, N from deq_scale[c] and k = kh·kw,
 *   v = x·k; if N > 0: v = clamp(floor(v / 2^N), −32768, 32767) (the int16 path)
 *   y = v·d·2^N / k  (float32, left to right)
 * With N = 0 the value is clamped to int32, the accumulator width: Huawei's kernel does
 * the same (CLIP_32) and it only matters for inputs no conv can produce.
 */
export function ascendDequant(
  x: Float32Array,
  deqScale: BigUint64Array,
  shape: readonly number[],
  options: DequantOptions = {},
): Float32Array {
  const ksize = options.ksize ?? [1, 1];
  const k = ksize.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(k) || k < 1) {
    throw new QuantizeError('INVALID_ARGUMENT', `ksize [${ksize.join(', ')}] must hold positive integers`, { hint: 'the pooling node has a malformed ksize attribute; re-export the model' });
  }
  const layout = channelLayout(shape, options.channelAxis ?? -1, 'AscendDequant input');
  checkLength(x.length, layout, 'AscendDequant input');
  const stride = paramStride(deqScale.length, layout, 'deq_scale');
  const { scale, pow2 } = decode(deqScale);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = stride === 0 ? 0 : channelOf(i, layout.inner, layout.channels);
    let v = f32(x[i] * k);
    if (pow2[c] !== 1) v = clamp(floor(v / pow2[c]), -32768, 32767);
    else v = clamp(v, INT32_MIN, INT32_MAX);
    y[i] = f32(f32(f32(v * scale[c]) * pow2[c]) / k);
  }
  return y;
}
