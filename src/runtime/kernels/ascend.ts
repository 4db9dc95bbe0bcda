/**
 * Session kernels for the four Ascend ops saveModel emits (SPEC §6 "Semantics of the
 * Ascend ops"), so the deployable graph runs in Node and its accuracy can be checked
 * before ATC ever sees it. They follow Huawei's TensorFlow simulation kernels and the
 * scalar references in src/quant/ascend.ts (which the tests compare them with), bit for
 * bit: float32 at every step, in the same order as the reference.
 *
 * - On the cpu backend they are single JavaScript passes (ascend-cpu.ts).
 * - Elsewhere (wasm, tfjs-node) they are backend ops, as few as the exact arithmetic
 *   allows (ascend-quant.ts): the work stays on the backend.
 * - AscendWeightQuant of constants never runs: the Session folds it into a float
 *   constant when it is created (../ascend-folding.ts). Its kernel is for other inputs.
 * - On cpu and wasm, a Session runs AscendQuant, AscendDequant and AscendAntiQuant (alone or
 *   chained with BiasAdd and Relu/Relu6) as one pass of its own (../ascend-fusion.ts,
 *   ascend-chain.ts); these kernels run on other backends and for what the fusion leaves.
 *
 * Registered when this module loads; runtime/index.ts imports it, so any Session made
 * after `import 'amct-ts'` runs them.
 */
import { SessionError } from '../../errors';
import { attrFloat, attrInt, attrInts, attrString } from '../../ir';
import type { NodeDef } from '../../ir';
import { registerKernel } from '../kernels';
import type { KernelContext } from '../kernels';
import { tf } from '../tfjs';
import { ascendAntiQuant as ascendAntiQuantReference } from '../../quant';
import { dequantizeLoop, quantizeLoop } from './ascend-cpu';
import { BELOW_HALF, INT32_MAX, INT32_MIN } from '../../quant/round';
import { isNonNegative, quantizeWithOps } from './ascend-quant';
import type { QuantBounds } from './ascend-quant';

const INT16_MIN = -32768;
const INT16_MAX = 32767;

export function badAttr(node: NodeDef, message: string, hint = 'the node does not follow the Ascend op definition; write the model again with saveModel'): SessionError {
  return new SessionError('INVALID_GRAPH', `${node.op} node ${node.name}: ${message}`, { node: node.name, hint });
}

export function asFloat(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
}

/** On the cpu backend every tfjs op is a JavaScript loop: one loop (ascend-cpu.ts) beats 4–8 of them. */
function onCpu(): boolean {
  return tf.getBackend() === 'cpu';
}

/** A value computed once per node and session, kept in the node's state. */
export function cached<T>(state: Map<string, unknown>, key: string, make: () => T): T {
  if (!state.has(key)) state.set(key, make());
  return state.get(key) as T;
}

/** An AscendQuant node's scale and integer bounds lo = qmin − offset, hi = qmax − offset, checked. */
export function quantBounds(node: NodeDef): QuantBounds {
  const offset = attrFloat(node, 'offset', 0);
  const bits = attrInt(node, 'quant_bits', 8);
  if (!(bits >= 2 && bits <= 16)) throw badAttr(node, `quant_bits = ${bits} must be in [2, 16]`);
  if (!Number.isInteger(offset)) throw badAttr(node, `offset = ${offset} must be an integer`);
  const half = 2 ** (bits - 1);
  return { scale: attrFloat(node, 'scale'), lo: -half - offset, hi: half - 1 - offset };
}

/** y = clamp(round(x·scale) + offset, qmin, qmax) − offset; scale holds 1/scale_d (see ascend-quant.ts). */
function ascendQuant({ node, inputs: [x], session, state }: KernelContext): tf.Tensor {
  const bounds = quantBounds(node);
  const xf = asFloat(x);
  if (onCpu()) return tf.tensor(quantizeLoop(xf.dataSync() as Float32Array, bounds.scale, bounds.lo, bounds.hi), xf.shape, 'float32');
  const nonNegative = cached(state, 'non_negative', () => isNonNegative(session.graph, node.inputs[0]));
  // Scalars live in the state, one tensor per key, so session.dispose() frees them.
  const scalar = (key: string, value: number) => cached(state, key, () => tf.keep(tf.scalar(value)));
  const scalars = { scale: scalar('scale', bounds.scale), belowHalf: scalar('below_half', BELOW_HALF), four: scalar('four', 4) };
  return quantizeWithOps(xf, bounds, scalars, nonNegative);
}

/**
 * y = x − offset_w. Like Huawei's kernel, offset_w is one value or one per output
 * channel, shaped to broadcast against the weight (saveModel writes [1,1,1,C] for HWIO).
 * offset_w is 0 in every AMCT model: then only the int32 → float cast is left.
 * A Session folds this op into a float constant when both inputs are constants
 * (../ascend-folding.ts), so this kernel only runs for weights computed in the graph.
 */
function ascendWeightQuant({ inputs: [x, offsetW] }: KernelContext): tf.Tensor {
  const offsets = offsetW.dataSync() as ArrayLike<number>; // one value per channel at most
  const zero = Array.prototype.every.call(offsets, (v: number) => v === 0);
  return zero ? asFloat(x) : tf.sub(asFloat(x), asFloat(offsetW));
}

/** y = x·scale: the input already had offset_d removed by AscendQuant. */
function ascendAntiQuant({ node, inputs: [x] }: KernelContext): tf.Tensor {
  const xf = asFloat(x);
  if (onCpu()) return tf.tensor(ascendAntiQuantReference(xf.dataSync() as Float32Array, attrFloat(node, 'scale')), xf.shape, 'float32');
  return tf.mul(xf, tf.scalar(attrFloat(node, 'scale')));
}

export interface DeqParams {
  scale: Float32Array;
  pow2: Float32Array;
  /** 2^N in float64, as the reference divides by it (N may exceed float32's range). */
  pow2Exact: Float64Array;
  /** 1 where shift_n > 0, else 0. */
  shifted: Float32Array;
  anyShift: boolean;
  allShift: boolean;
}

/** The session translated deq_scale to float32 [..., 3] = (scale, shift_n, offset_w) per value. */
export function deqParams(node: NodeDef, deq: tf.Tensor): DeqParams {
  const fields = deq.dataSync() as Float32Array; // a small Const: C·3 values
  if (deq.shape[deq.rank - 1] !== 3 || fields.length === 0) {
    throw badAttr(node, `deq_scale must be a DT_UINT64 constant (the session sees shape [${deq.shape.join(', ')}])`);
  }
  const n = fields.length / 3;
  const p: DeqParams = { scale: new Float32Array(n), pow2: new Float32Array(n), pow2Exact: new Float64Array(n), shifted: new Float32Array(n), anyShift: false, allShift: true };
  for (let c = 0; c < n; c++) {
    const shift = fields[c * 3 + 1];
    p.scale[c] = fields[c * 3];
    p.pow2[c] = 2 ** shift;
    p.pow2Exact[c] = 2 ** shift;
    p.shifted[c] = shift > 0 ? 1 : 0;
    p.anyShift ||= shift > 0;
    p.allShift &&= shift > 0;
  }
  return p;
}

/** Shape that puts n per-channel values on `axis` of a rank-`rank` tensor. */
function channelShape(rank: number, axis: number, n: number): number[] {
  return Array.from({ length: rank }, (_, i) => (i === axis ? n : 1));
}

/** The channel axis (data_format "NCHW": axis 1, else the last), checked against deq_scale. */
function channelAxis(node: NodeDef, x: tf.Tensor, n: number): number {
  const format = attrString(node, 'data_format', 'NHWC');
  const axis = format.startsWith('NC') && x.rank > 2 ? 1 : x.rank - 1;
  if (n > 1 && x.shape[axis] !== n) {
    throw badAttr(node, `deq_scale has ${n} values but the input has ${x.shape[axis]} channels on axis ${axis} (shape [${x.shape.join(', ')}], data_format ${format})`);
  }
  return axis;
}

export function areaOf(node: NodeDef): number {
  const ksize = attrInts(node, 'ksize', [1, 1]);
  const k = ksize.reduce((a, b) => a * b, 1);
  if (ksize.length === 0 || !Number.isInteger(k) || k < 1) throw badAttr(node, `ksize [${ksize.join(', ')}] must hold positive integers`);
  return k;
}

/**
 * v = x·k; if N > 0: v = clamp(floor(v / 2^N), −32768, 32767) (the int16 path);
 * y = v·d·2^N / k, per channel when deq_scale has C values. With N = 0 the reference also
 * clamps v to int32, the accumulator's width; no INT8 layer gets near 2^31 (that takes
 * 65,000+ products of 255·128), so that pass over every output is skipped here.
 */
function ascendDequant({ node, inputs: [input, deq], session, state }: KernelContext): tf.Tensor {
  const x = asFloat(input);
  const k = areaOf(node);
  // A constant deq_scale is decoded once per session (its dataSync and tensors per run cost as much as the multiply).
  const constant = session.graph.producerOf(node.inputs[1]).op === 'Const';
  const p = constant ? cached(state, 'deq_params', () => deqParams(node, deq)) : deqParams(node, deq);
  const n = p.scale.length;
  const axis = n === 1 ? x.rank - 1 : channelAxis(node, x, n);
  if (onCpu()) {
    const [channels, inner] = n === 1 ? [1, x.size] : [x.shape[axis], x.shape.slice(axis + 1).reduce((a, b) => a * b, 1)];
    const y = dequantizeLoop(x.dataSync() as Float32Array, { scale: p.scale, pow2: p.pow2Exact, channels, inner, k });
    return tf.tensor(y, x.shape, 'float32');
  }
  const perChannel = (field: 'scale' | 'pow2' | 'shifted') => {
    const make = () => (n === 1 ? tf.scalar(p[field][0]) : tf.tensor(p[field], channelShape(x.rank, axis, n), 'float32'));
    return constant ? cached(state, `${field}:${x.rank}:${axis}`, () => tf.keep(make())) : make();
  };
  let v = k === 1 ? x : tf.mul(x, k);
  if (p.anyShift) {
    const pow2 = perChannel('pow2');
    const narrowed = tf.clipByValue(tf.floor(tf.div(v, pow2)), INT16_MIN, INT16_MAX);
    if (p.allShift) {
      v = narrowed;
    } else {
      // Channels with N = 0 keep the int32 path. Both branches are finite, so the 0/1 blend is exact.
      const mask = perChannel('shifted');
      const wide = tf.clipByValue(v, INT32_MIN, INT32_MAX);
      v = tf.add(tf.mul(narrowed, mask), tf.mul(wide, tf.sub(1, mask)));
    }
  }
  let y = tf.mul(v, perChannel('scale'));
  if (p.anyShift) y = tf.mul(y, perChannel('pow2'));
  return k === 1 ? y : tf.div(y, k);
}

export const ASCEND_KERNEL_OPS = ['AscendQuant', 'AscendWeightQuant', 'AscendDequant', 'AscendAntiQuant'] as const;

registerKernel('AscendQuant', ascendQuant);
registerKernel('AscendWeightQuant', ascendWeightQuant);
registerKernel('AscendDequant', ascendDequant);
registerKernel('AscendAntiQuant', ascendAntiQuant);
