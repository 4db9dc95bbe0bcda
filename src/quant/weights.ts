/**
 * INT8 weights and INT32 bias of a quantized layer (SPEC §6):
 *   W_q = clamp(round(W / scale_w[c]), -128, 127)
 *   b_q = round(b / (scale_d · scale_w[c]))
 * The same functions serve the saveModel emitter and the runtime's fake-quant kernels,
 * so the saved .pb and the Node session can never disagree about a weight.
 */
import { QuantizeError } from '../errors';
import { channelLayout, checkLength, paramStride } from './channels';
import { f32, INT32_MAX, INT32_MIN, intRange, roundHalfAwayFromZero } from './round';
import { quantizeWeightsSimd, valueCount } from './weights-simd';
import type { WeightValues } from './weights-simd';

function checkScales(scales: ArrayLike<number>, what: string): void {
  for (let i = 0; i < scales.length; i++) {
    const s = scales[i];
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new QuantizeError('INVALID_ARGUMENT', `${what}[${i}] = ${s}; scales must be finite and > 0`, { hint: 'the record does not fit this layer; regenerate it with the calibration (or fix it by hand for convert_model)' });
    }
  }
}

/**
 * Quantizes weights per channel along `channelAxis` (undefined = per tensor, scaleW of
 * length 1). `w`: float32 values, or their little-endian bytes (a .pb's tensor_content
 * read without a copy: ir/tensor-lazy.ts unreadContent). Division is float32 (AMCT's
 * ArqQuantReal divides float by float). Runs on WebAssembly SIMD where available
 * (weights-simd.ts, same int8 values), else the loop below.
 */
export function quantizeWeights(
  w: WeightValues,
  shape: readonly number[],
  scaleW: Float32Array,
  channelAxis: number | undefined,
  numBits = 8,
): Int8Array {
  const layout = channelLayout(shape, scaleW.length === 1 ? undefined : channelAxis, 'weight');
  if (!(w instanceof Float32Array) && w.length % 4 !== 0) {
    throw new QuantizeError('INVALID_ARGUMENT', `weight bytes: ${w.length} is not a whole number of float32 values`, { hint: 'pass the tensor_content of a DT_FLOAT tensor' });
  }
  checkLength(valueCount(w), layout, 'weight');
  paramStride(scaleW.length, layout, 'scale_w'); // checks scale_w's length against the layout
  checkScales(scaleW, 'scale_w');
  checkWeightBits(numBits);
  const { qmin, qmax } = intRange(numBits);
  const { channels, inner } = layout; // per tensor: one channel of w.length weights
  return quantizeWeightsSimd(w, scaleW, channels, inner, qmin, qmax) ?? quantizeWeightsLoop(asFloat32(w), scaleW, channels, inner, qmin, qmax);
}

/** Little-endian float32 bytes at any alignment as a Float32Array (a copy); a Float32Array as it is. */
function asFloat32(w: WeightValues): Float32Array {
  if (w instanceof Float32Array) return w;
  const out = new Float32Array(w.length / 4);
  new Uint8Array(out.buffer).set(w);
  return out;
}

/**
 * Weights are stored as int8, so 2..8 bits. Beyond 8 the loop's Int8Array store would wrap
 * (200 → −56) where the SIMD narrows saturate, and fractional counts give bounds float32
 * does not hold: both are refused. Undefined when `numBits` is fine, else why not (callers
 * throw their own typed error: a QuantArq node names itself).
 */
export function weightBitsProblem(numBits: number): string | undefined {
  return Number.isInteger(numBits) && numBits >= 2 && numBits <= 8 ? undefined : `num_bits = ${numBits} for weights: they are stored as int8, so it must be an integer in [2, 8]`;
}

function checkWeightBits(numBits: number): void {
  const problem = weightBitsProblem(numBits);
  if (problem) throw new QuantizeError('INVALID_ARGUMENT', problem, { hint: 'set the weights\' num_bits to 8 (AMCT quantizes weights to int8)' });
}

/**
 * The reference: element i scaled by scaleW[floor(i / inner) % channels], rounded half
 * away from zero, clamped to [qmin, qmax]. Runs where WebAssembly SIMD is missing; the
 * tests compare the SIMD path against it.
 */
export function quantizeWeightsLoop(w: Float32Array, scaleW: Float32Array, channels: number, inner: number, qmin: number, qmax: number): Int8Array {
  const out = new Int8Array(w.length);
  const quotient = new Float32Array(1); // a store rounds to float32: f32 without a call per weight
  // The channel advances with counters, not a division per weight (channelOf).
  let c = 0;
  let k = 0;
  let scale = scaleW[0];
  // The bounds as float64 (read from a Float64Array): as small integers V8 would mix them
  // with the double v in the clamps below and convert on every weight (~2× slower).
  const bounds = new Float64Array([qmin, qmax]);
  const lo = bounds[0];
  const hi = bounds[1];
  for (let i = 0; i < w.length; i++) {
    quotient[0] = w[i] / scale;
    let v = quotient[0];
    // Clamp, then round half away from zero: v ± 0.5 is exact in float64 and the Int8Array
    // store truncates toward zero, which finishes the rounding (qmin − 0.5 and qmax + 0.5
    // truncate to the bounds). No branch on the sign: `+(v < 0)` is 0 or 1, and on real
    // weights a sign branch mispredicts half the time (with the bounds below, 20 → 4 ns per weight). NaN passes
    // both clamps and is stored as 0, as the reference's NaN stored in an Int8Array.
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    out[i] = v + 0.5 - +(v < 0);
    if (++k === inner) {
      k = 0;
      if (++c === channels) c = 0;
      scale = scaleW[c];
    }
  }
  return out;
}

/**
 * Quantizes a bias vector (one value per output channel) to int32. The divisor is the
 * float32 product scale_d·scale_w[c], the very number packed into deq_scale, so
 * `(acc + b_q) · deq_scale` reproduces `acc·deq + b`. Throws BIAS_OVERFLOW when a value
 * leaves int32: such a layer cannot run on the device and must be skipped.
 */
export function quantizeBias(b: Float32Array, scaleD: number, scaleW: Float32Array, layer?: string): Int32Array {
  checkScales([scaleD], 'scale_d');
  checkScales(scaleW, 'scale_w');
  if (scaleW.length !== 1 && scaleW.length !== b.length) {
    throw new QuantizeError(
      'INVALID_ARGUMENT',
      `scale_w has ${scaleW.length} values but the bias has ${b.length}; expected 1 or one per output channel`,
      { layer, hint: 'the record does not fit this layer; regenerate it with the calibration (or fix it by hand for convert_model)' },
    );
  }
  const out = new Int32Array(b.length);
  for (let c = 0; c < b.length; c++) {
    const denom = f32(scaleD * scaleW[scaleW.length === 1 ? 0 : c]);
    const q = roundHalfAwayFromZero(b[c] / denom);
    if (!(q >= INT32_MIN && q <= INT32_MAX)) {
      const name = layer ?? '(unnamed)';
      throw new QuantizeError('BIAS_OVERFLOW', `Quantized bias of layer ${name} exceeds int32 range; add it to skip layers`, {
        layer,
        hint: `bias[${c}] = ${b[c]} over scale_d·scale_w = ${denom} gives ${q}; add "${name}" to skipLayers`,
      });
    }
    out[c] = q;
  }
  return out;
}
