/**
 * The kernel of the fused chains (../ascend-fusion.ts): [BiasAdd] → [AscendDequant] →
 * [Relu | Relu6] → [AscendQuant] → [AscendAntiQuant] as one pass: WebAssembly SIMD where it
 * applies (ascend-chain-simd.ts), else the scalar WebAssembly pass (ascend-chain-wasm.ts),
 * else (no WebAssembly) the JavaScript loop (ascend-chain-loop.ts). All three are exact.
 *
 * On wasm the pass reads the input and writes the output in the wasm heap: the output is
 * allocated by the backend (makeOutput) and wrapped as a tensor, as the backend's own
 * kernels do, so a chain costs one dispatch and no copy. On cpu the values are copied into
 * a memory of the pass's own and back.
 */
import { attrFloat, attrStrings } from '../../ir';
import type { NodeDef } from '../../ir';
import { ASCEND_CHAIN_OP, CHAIN_ATTR, SUM_ANTI_ATTR } from '../ascend-fusion';
import { registerKernel } from '../kernels';
import type { KernelContext } from '../kernels';
import { tf } from '../tfjs';
const util = tf.util;
import { areaOf, asFloat, badAttr, cached, deqParams, quantBounds } from './ascend';
import { ChainSteps, runChain } from './ascend-chain-loop';
import { chainSimdOn } from './ascend-chain-simd';
import { ChainFn, chainOn, PARAM_BYTES, STEP } from './ascend-chain-wasm';
import { isWasmMemory, newWasmMemory, reserveBytes } from '../../wasm/host';
import type { WasmMemory } from '../../wasm/host';
import { readActivation } from './calibration-read';

/** The steps with per-channel values as the graph holds them (bias: C values; deq_scale: 1 or C). */
function planSteps(ctx: KernelContext): ChainSteps {
  const { session, inputs } = ctx;
  const nodes = attrStrings(ctx.node, CHAIN_ATTR).map((name) => session.graph.getNode(name));
  const steps: ChainSteps = { relu6NaN: tf.getBackend() === 'wasm' ? 'zero' : 'keep' };
  let param = 1;
  for (const node of nodes) {
    if (node.op === 'AddV2' || node.op === 'Add') {
      // The AscendAntiQuant read in place of each input, if any (see SUM_ANTI_ATTR).
      const [a, b] = attrStrings(ctx.node, SUM_ANTI_ATTR).map((name) => (name ? attrFloat(session.graph.getNode(name), 'scale') : undefined));
      steps.sum = { antiA: a, antiB: b };
    } else if (node.op === 'BiasAdd') steps.bias = Float32Array.from(inputs[param++].dataSync() as Float32Array);
    else if (node.op === 'AscendDequant') {
      const p = deqParams(node, inputs[param++]);
      steps.dequant = { scale: p.scale, pow2: p.pow2Exact, k: areaOf(node) };
    } else if (node.op === 'Relu' || node.op === 'Relu6') steps.act = node.op === 'Relu' ? 'relu' : 'relu6';
    else if (node.op === 'AscendQuant') steps.quant = quantBounds(node);
    else if (node.op === 'AscendAntiQuant') steps.antiQuant = attrFloat(node, 'scale');
  }
  return steps;
}

function nodeOf(ctx: KernelContext, op: string): NodeDef {
  return ctx.session.graph.getNode(attrStrings(ctx.node, CHAIN_ATTR).find((n) => ctx.session.graph.getNode(n).op === op)!);
}

/** The steps with every per-channel array at `channels` values, checked against the graph's. */
function stepsFor(ctx: KernelContext, steps: ChainSteps, channels: number): ChainSteps {
  const out: ChainSteps = { ...steps };
  if (steps.bias && steps.bias.length !== channels) {
    throw badAttr(nodeOf(ctx, 'BiasAdd'), `the bias has ${steps.bias.length} values but the input has ${channels} channels on its last axis`,
      'give the BiasAdd one bias value per channel of its input (the last axis)');
  }
  const dq = steps.dequant;
  if (dq && dq.scale.length !== channels) {
    if (dq.scale.length !== 1) throw badAttr(nodeOf(ctx, 'AscendDequant'), `deq_scale has ${dq.scale.length} values but the input has ${channels} channels on its last axis`);
    out.dequant = { k: dq.k, scale: new Float32Array(channels).fill(dq.scale[0]), pow2: new Float64Array(channels).fill(dq.pow2[0]) };
  }
  return out;
}

/** What the wasm backend offers its kernels: outputs allocated in its heap, views of them, its memory. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  wasm?: { asm?: { memory?: unknown } };
}

function wasmBackend(): WasmBackend | undefined {
  const b = tf.backend() as unknown as Partial<WasmBackend>;
  return tf.getBackend() === 'wasm' && typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function' ? (b as WasmBackend) : undefined;
}

const scalarPasses = new WeakMap<WasmMemory, ChainFn | undefined>();

/** The scalar wasm pass over `memory` (any chain), or undefined without WebAssembly. */
function scalarPass(memory: WasmMemory): ChainFn | undefined {
  if (!scalarPasses.has(memory)) scalarPasses.set(memory, chainOn(memory));
  return scalarPasses.get(memory);
}

function flagsOf(s: ChainSteps): number {
  let flags = 0;
  if (s.bias) flags |= STEP.bias;
  if (s.dequant) flags |= STEP.dequant;
  if (s.act === 'relu') flags |= STEP.relu;
  if (s.act === 'relu6') flags |= STEP.relu6 | (s.relu6NaN === 'zero' ? STEP.relu6NaNToZero : 0);
  if (s.quant) flags |= STEP.quant;
  if (s.antiQuant !== undefined) flags |= STEP.antiQuant;
  if (s.sum) flags |= STEP.sum | (s.sum.antiA !== undefined ? STEP.sumAntiA : 0) | (s.sum.antiB !== undefined ? STEP.sumAntiB : 0);
  return flags;
}

/** Bytes of the parameter block: the scalar pass's (bias, d, 2^N as float64 per channel), then the SIMD pass's. */
const paramBytes = (channels: number) => PARAM_BYTES * channels + 8 * (channels + 3);

function writeParams(buffer: ArrayBuffer, at: number, s: ChainSteps, channels: number): void {
  const scalar = new Float64Array(buffer, at, channels * 3);
  const lanes = new Float32Array(buffer, at + PARAM_BYTES * channels, 2 * (channels + 3));
  for (let c = 0; c < channels; c++) {
    scalar[c * 3] = s.bias ? s.bias[c] : 0;
    scalar[c * 3 + 1] = s.dequant ? s.dequant.scale[c] : 1;
    scalar[c * 3 + 2] = s.dequant ? s.dequant.pow2[c] : 1;
  }
  for (let j = 0; j < channels + 3; j++) {
    lanes[j] = s.bias ? s.bias[j % channels] : 0;
    lanes[channels + 3 + j] = s.dequant ? s.dequant.scale[j % channels] : 1;
  }
}

/** Whether the SIMD pass computes this chain (see ascend-chain-simd.ts). */
function simdFits(s: ChainSteps): boolean {
  const quantScale = s.quant ? Math.fround(s.quant.scale) : 1;
  return quantScale > 0 && quantScale < Infinity && (!s.dequant || (s.dequant.k === 1 && s.dequant.pow2.every((p) => p === 1)));
}

/** The chain over n values at byte offsets x (and x2 for a sum) → y of `memory`, parameters (paramBytes) at p. */
function runAt(memory: WasmMemory, x: number, y: number, n: number, channels: number, p: number, s: ChainSteps, x2 = 0): void {
  const flags = flagsOf(s);
  const simd = simdFits(s) ? chainSimdOn(memory, flags) : undefined;
  const [qs, lo, hi, as] = [s.quant?.scale ?? 1, s.quant?.lo ?? 0, s.quant?.hi ?? 0, s.antiQuant ?? 1];
  const view = (at: number, from = 0) => new Float32Array(memory.buffer, at + 4 * from, n - from);
  if (simd) {
    const n4 = n & ~3;
    if (simd(x, y, n4, channels, p + PARAM_BYTES * channels, flags, qs, lo, hi, as, x2, s.sum?.antiA ?? 1, s.sum?.antiB ?? 1) === 0) {
      if (n4 < n) runChain(view(x, n4), view(y, n4), channels, s, n4 % channels, s.sum ? view(x2, n4) : undefined);
      return;
    }
    // Some input was NaN or beyond int32 where dequantized: the scalar pass handles every value.
  }
  const scalar = s.sum ? undefined : scalarPass(memory); // the scalar wasm pass has no sum: the loop does it
  if (scalar) scalar(x, y, n, channels, p, flags, s.dequant?.k ?? 1, qs, lo, hi, as);
  else runChain(view(x), view(y), channels, s, 0, s.sum ? view(x2) : undefined);
}

/** Where a tensor's values start in the heap. Offsets, not views: an allocation may grow (move) the heap. */
function offset(wasm: WasmBackend, t: tf.TensorInfo): number {
  return wasm.typedArrayFromHeap(t).byteOffset;
}

/** On the wasm backend: output allocated in the heap, the pass reading and writing there. */
function runOnHeap(ctx: KernelContext, wasm: WasmBackend, x: tf.Tensor, channels: number, steps: ChainSteps, x2?: tf.Tensor): tf.Tensor {
  const memory = wasm.wasm?.asm?.memory;
  const info = wasm.makeOutput([...x.shape], 'float32');
  const out = tf.engine().makeTensorFromTensorInfo(info, tf.backend());
  if (!isWasmMemory(memory)) {
    runChain(readActivation(x), wasm.typedArrayFromHeap(info), channels, steps, 0, x2 && readActivation(x2));
    return out;
  }
  // The parameters live in the heap too, in a tensor of the node's state (freed with the session).
  const key = `params:${channels}`;
  if (!steps.bias && !steps.dequant) {
    runAt(memory, offset(wasm, x), offset(wasm, info), x.size, channels, 0, steps, x2 ? offset(wasm, x2) : 0); // no parameters to read
    return out;
  }
  const block = cached(ctx.state, key, () => {
    const params = tf.keep(tf.zeros([paramBytes(channels) / 4], 'float32'));
    writeParams(memory.buffer, wasm.typedArrayFromHeap(params).byteOffset, steps, channels);
    return params;
  });
  runAt(memory, offset(wasm, x), offset(wasm, info), x.size, channels, offset(wasm, block), steps, x2 ? offset(wasm, x2) : 0);
  return out;
}

let scratch: WasmMemory | undefined | null;

/**
 * Elsewhere (cpu): the pass in a memory of its own, values copied in and out; the
 * JavaScript loop (the same values) without WebAssembly or when that memory cannot grow
 * to the tensor.
 */
function runCopied(x: Float32Array, channels: number, steps: ChainSteps, x2?: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  if (scratch === undefined) scratch = newWasmMemory() ?? null;
  // x, then x2, then y, then the parameters (8-byte aligned)
  const [n, params] = [x.length, Math.ceil((12 * x.length) / 8) * 8]; // not `& ~7`: 12·n passes 2^31 on big tensors
  if (!scratch || !reserveBytes(scratch, params + paramBytes(channels))) {
    runChain(x, y, channels, steps, 0, x2);
    return y;
  }
  new Float32Array(scratch.buffer, 0, n).set(x);
  if (x2) new Float32Array(scratch.buffer, 4 * n, n).set(x2);
  if (steps.bias || steps.dequant) writeParams(scratch.buffer, params, steps, channels);
  runAt(scratch, 0, 8 * n, n, channels, params, steps, 4 * n);
  y.set(new Float32Array(scratch.buffer, 8 * n, n));
  return y;
}

/**
 * A sum whose inputs differ in shape (broadcast): the sum as the graph's own ops compute it
 * (AscendAntiQuant is one float32 multiply), then the rest of the chain on it.
 */
function broadcastSum([a, b]: tf.Tensor[], sum: NonNullable<ChainSteps['sum']>): tf.Tensor {
  const scaled = (t: tf.Tensor, s: number | undefined) => (s === undefined ? t : tf.mul(t, tf.scalar(s)));
  return tf.add(scaled(a, sum.antiA), scaled(b, sum.antiB));
}

function ascendChain(ctx: KernelContext): tf.Tensor {
  const x = asFloat(ctx.inputs[0]);
  const channels = x.rank === 0 ? 1 : x.shape[x.rank - 1];
  const planned = cached(ctx.state, 'steps', () => planSteps(ctx));
  const steps = cached(ctx.state, `steps:${channels}`, () => stepsFor(ctx, planned, channels));
  const x2 = steps.sum ? asFloat(ctx.inputs[1]) : undefined;
  if (steps.sum && !util.arraysEqual(x.shape, x2!.shape)) {
    const summed = broadcastSum([x, x2!], steps.sum);
    const rest: ChainSteps = { ...steps, sum: undefined };
    const wasm = wasmBackend();
    if (wasm) return runOnHeap(ctx, wasm, summed, summed.shape[summed.rank - 1] ?? 1, rest);
    return tf.tensor(runCopied(summed.dataSync() as Float32Array, summed.shape[summed.rank - 1] ?? 1, rest), summed.shape, 'float32');
  }
  const wasm = wasmBackend();
  if (wasm) return runOnHeap(ctx, wasm, x, channels, steps, x2);
  return tf.tensor(runCopied(x.dataSync() as Float32Array, channels, steps, x2?.dataSync() as Float32Array | undefined), x.shape, 'float32');
}

registerKernel(ASCEND_CHAIN_OP, ascendChain);
