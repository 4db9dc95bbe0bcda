/**
 * AmctErrorSums(reference, test): the sums float-vs-quantized error metrics need
 * (src/analysis/), accumulated in float64 in the node's state across runs, so a whole
 * model's layers are compared in one run per batch without fetching any activation.
 *
 * State `sums` = [Σab, Σa², Σb², Σ(a−b)², count] with a = reference, b = test. The
 * kernel reads both tensors in place (no copy on wasm and cpu) and returns the batch's
 * four sums as a float32 [4] tensor, so fetching the node is all it takes to run it.
 */
import { SessionError } from '../../errors';
import { registerKernel } from '../kernels';
import type { KernelContext } from '../kernels';
import { tf } from '../tfjs';
import { readActivation } from './calibration-read';

export const ERROR_SUMS_OP = 'AmctErrorSums';
export const ERROR_SUMS_STATE = 'sums';

function float32Values(ctx: KernelContext, t: tf.Tensor, which: string): Float32Array {
  if (t.dtype !== 'float32') {
    throw new SessionError('EXECUTION_FAILED', `${ERROR_SUMS_OP} node ${ctx.node.name}: the ${which} tensor is ${t.dtype}, not float32`, { node: ctx.node.name });
  }
  return readActivation(t);
}

function errorSums(ctx: KernelContext): tf.Tensor {
  const [ref, test] = ctx.inputs;
  if (ref.size !== test.size) {
    throw new SessionError('EXECUTION_FAILED', `${ERROR_SUMS_OP} node ${ctx.node.name}: shapes [${ref.shape}] and [${test.shape}] differ`, {
      node: ctx.node.name,
      hint: 'the compared tensors must hold the same values in the float and the quantized graph',
    });
  }
  // Both views are read before any other tfjs call (the wasm heap may move on the next one).
  const a = float32Values(ctx, ref, 'reference');
  const b = float32Values(ctx, test, 'compared');
  let ab = 0;
  let aa = 0;
  let bb = 0;
  let dd = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    const d = x - y;
    ab += x * y;
    aa += x * x;
    bb += y * y;
    dd += d * d;
  }
  const sums = (ctx.state.get(ERROR_SUMS_STATE) as number[] | undefined) ?? [0, 0, 0, 0, 0];
  sums[0] += ab;
  sums[1] += aa;
  sums[2] += bb;
  sums[3] += dd;
  sums[4] += a.length;
  ctx.state.set(ERROR_SUMS_STATE, sums);
  return tf.tensor1d([ab, aa, bb, dd], 'float32');
}

registerKernel(ERROR_SUMS_OP, errorSums);
