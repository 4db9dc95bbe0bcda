/**
 * AscendQuant with as few backend passes as the exact arithmetic allows (SPEC §6):
 *   y = clamp(round(x·scale) + offset, qmin, qmax) − offset, round half away from zero.
 * With integer offset and bounds this is clamp(round(t), lo, hi), t = x·scale,
 * lo = qmin − offset, hi = qmax − offset.
 *
 * The rounding: for float32 t ≥ 0, floor(t + C) with C = 0.5 − 2⁻²⁵ (the float32 just
 * below 0.5) is round half away from zero, exactly, in float32 arithmetic. floor(t + 0.5)
 * would round 0.49999997 up; with C the sum of that value is 1 − 2⁻²⁴ (exact), a tie
 * k + 0.5 gives k + 1 − 2⁻²⁵, which rounds to k + 1 (to even at k = 0), and any t below a
 * tie stays more than half an ulp below the next integer. (Checked against the scalar
 * reference on every float32 within 3000 ulps of k and k + 0.5 for k ≤ 300.) C is
 * BELOW_HALF of quant/round.ts, shared with the SIMD weight quantization.
 *
 * - Input known to be ≥ 0 (a Relu/Relu6 output, possibly through pooling or reshapes):
 *   y = floor(clip(t + C, lo, hi + 0.5)): 4 passes (was 11).
 * - Any input: y = floor(|v| + C)·sign(v) with v = clip(t, lo, hi), the sign taken as
 *   clip(4v, −1, 1) (exact ±1 wherever |v| ≥ 0.5; elsewhere the magnitude is 0): 8 passes.
 *   On wasm sign() and comparisons cost 3–7× a multiply, so the sign is made with float ops.
 */
import type { Graph } from '../../ir';
import { parseTensorName } from '../../ir';
import { tf } from '../tfjs';

/** Ops whose output is ≥ 0 (or NaN) whatever their input. */
const NON_NEGATIVE_OPS = new Set(['Relu', 'Relu6']);
/** Ops that keep a non-negative input non-negative (same values, selected or averaged). */
const KEEPS_SIGN_OPS = new Set(['Identity', 'AvgPool', 'MaxPool', 'Reshape', 'Squeeze', 'ExpandDims', 'Mean']);

/** Whether `tensor` is ≥ 0 by construction (not by its values), looking through the graph. */
export function isNonNegative(graph: Graph, tensor: string): boolean {
  let node = graph.node(parseTensorName(tensor).node);
  for (let depth = 0; node && depth < 16; depth++) {
    if (NON_NEGATIVE_OPS.has(node.op)) return true;
    if (!KEEPS_SIGN_OPS.has(node.op) || node.inputs.length === 0) return false;
    node = graph.node(parseTensorName(node.inputs[0]).node);
  }
  return false;
}

export interface QuantBounds {
  scale: number;
  /** qmin − offset and qmax − offset (integers). */
  lo: number;
  hi: number;
}

/** The scalars the op sequence multiplies and adds, made once per node and session. */
export interface QuantScalars {
  scale: tf.Scalar;
  belowHalf: tf.Scalar;
  four: tf.Scalar;
}

/** AscendQuant with backend ops; `nonNegative` only when the graph guarantees x ≥ 0. */
export function quantizeWithOps(x: tf.Tensor, { lo, hi }: QuantBounds, k: QuantScalars, nonNegative: boolean): tf.Tensor {
  const t = tf.mul(x, k.scale);
  if (nonNegative) return tf.floor(tf.clipByValue(tf.add(t, k.belowHalf), lo, hi + 0.5));
  const v = tf.clipByValue(t, lo, hi);
  const magnitude = tf.floor(tf.add(tf.abs(v), k.belowHalf));
  return tf.mul(magnitude, tf.clipByValue(tf.mul(v, k.four), -1, 1));
}
