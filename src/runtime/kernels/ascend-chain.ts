/**
 * The kernel of the fused chains (../ascend-fusion.ts): [BiasAdd] → [AscendDequant] →
 * [Relu | Relu6] → [AscendQuant] → [AscendAntiQuant] as one pass (ascend-chain-loop.ts).
 *
 * On wasm the pass reads the input and writes the output in the wasm heap: the output is
 * allocated by the backend (makeOutput) and wrapped as a tensor, as the backend's own
 * kernels do, so a chain costs one dispatch and no copy. On cpu it is one JavaScript loop
 * where the ops were one loop each.
 */
import { attrFloat, attrInt, attrStrings } from '../../ir';
import type { NodeDef } from '../../ir';
import { ASCEND_CHAIN_OP, CHAIN_ATTR } from '../ascend-fusion';
import { registerKernel } from '../kernels';
import type { KernelContext } from '../kernels';
import { tf } from '../tfjs';
import { areaOf, badAttr, deqParams } from './ascend';
import { ChainSteps, runChain } from './ascend-chain-loop';
import { ChainFn, chainOn, isWasmMemory, newWasmMemory, STEP, WasmMemory } from './ascend-chain-wasm';
import { readActivation } from './calibration-read';

/** The steps with per-channel values as the graph holds them (bias: C values; deq_scale: 1 or C). */
function planSteps(ctx: KernelContext): ChainSteps {
  const { session, inputs } = ctx;
  const nodes = attrStrings(ctx.node, CHAIN_ATTR).map((name) => session.graph.getNode(name));
  const steps: ChainSteps = { relu6NaN: tf.getBackend() === 'wasm' ? 'zero' : 'keep' };
  let param = 1;
  for (const node of nodes) {
    if (node.op === 'BiasAdd') steps.bias = Float32Array.from(inputs[param++].dataSync() as Float32Array);
    else if (node.op === 'AscendDequant') {
      const p = deqParams(node, inputs[param++]);
      steps.dequant = { scale: p.scale, pow2: p.pow2Exact, k: areaOf(node) };
    } else if (node.op === 'Relu' || node.op === 'Relu6') steps.act = node.op === 'Relu' ? 'relu' : 'relu6';
    else if (node.op === 'AscendQuant') {
      const offset = attrFloat(node, 'offset', 0);
      const half = 2 ** (attrInt(node, 'quant_bits', 8) - 1);
      steps.quant = { scale: attrFloat(node, 'scale'), lo: -half - offset, hi: half - 1 - offset };
    } else if (node.op === 'AscendAntiQuant') steps.antiQuant = attrFloat(node, 'scale');
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
    throw badAttr(nodeOf(ctx, 'BiasAdd'), `the bias has ${steps.bias.length} values but the input has ${channels} channels on its last axis`);
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

const chains = new WeakMap<WasmMemory, ChainFn | undefined>();

/** The wasm chain function over `memory` (one instance per memory), or undefined. */
function chainFor(memory: unknown): ChainFn | undefined {
  if (!isWasmMemory(memory)) return undefined;
  if (!chains.has(memory)) chains.set(memory, chainOn(memory));
  return chains.get(memory);
}

function flagsOf(s: ChainSteps): number {
  let flags = 0;
  if (s.bias) flags |= STEP.bias;
  if (s.dequant) flags |= STEP.dequant;
  if (s.act === 'relu') flags |= STEP.relu;
  if (s.act === 'relu6') flags |= STEP.relu6 | (s.relu6NaN === 'zero' ? STEP.relu6NaNToZero : 0);
  if (s.quant) flags |= STEP.quant;
  if (s.antiQuant !== undefined) flags |= STEP.antiQuant;
  return flags;
}

/** The per-channel block `chain` reads: bias, d, 2^N as float64, channel after channel. */
function writeParams(to: Float64Array, s: ChainSteps, channels: number): void {
  for (let c = 0; c < channels; c++) {
    to[c * 3] = s.bias ? s.bias[c] : 0;
    to[c * 3 + 1] = s.dequant ? s.dequant.scale[c] : 1;
    to[c * 3 + 2] = s.dequant ? s.dequant.pow2[c] : 1;
  }
}

function callChain(fn: ChainFn, x: number, y: number, n: number, channels: number, params: number, s: ChainSteps): void {
  fn(x, y, n, channels, params, flagsOf(s), s.dequant?.k ?? 1, s.quant?.scale ?? 1, s.quant?.lo ?? 0, s.quant?.hi ?? 0, s.antiQuant ?? 1);
}

/** On the wasm backend: output allocated in the heap, the pass reading and writing there. */
function runOnHeap(ctx: KernelContext, wasm: WasmBackend, x: tf.Tensor, channels: number, steps: ChainSteps): tf.Tensor {
  const fn = chainFor(wasm.wasm?.asm?.memory);
  const info = wasm.makeOutput([...x.shape], 'float32');
  const out = tf.engine().makeTensorFromTensorInfo(info, tf.backend());
  if (!fn) {
    runChain(readActivation(x), wasm.typedArrayFromHeap(info), channels, steps);
    return out;
  }
  // The parameters live in the heap too, in a tensor of the node's state (freed with the session).
  const key = `params:${channels}`;
  if (!ctx.state.has(key)) {
    const block = tf.keep(tf.zeros([channels * 6], 'float32'));
    const view = wasm.typedArrayFromHeap(block);
    writeParams(new Float64Array(view.buffer, view.byteOffset, channels * 3), steps, channels);
    ctx.state.set(key, block);
  }
  // Offsets, not views: the allocations above may have grown (moved) the heap.
  const offset = (t: tf.TensorInfo) => wasm.typedArrayFromHeap(t).byteOffset;
  callChain(fn, offset(x), offset(info), x.size, channels, offset(ctx.state.get(key) as tf.Tensor), steps);
  return out;
}

let scratch: { memory: WasmMemory; fn: ChainFn | undefined } | undefined;

/** Elsewhere (cpu): the pass in a memory of its own, values copied in and out. */
function runCopied(x: Float32Array, channels: number, steps: ChainSteps): Float32Array {
  const y = new Float32Array(x.length);
  const bytes = 8 * x.length + 24 * channels;
  if (!scratch) {
    const memory = newWasmMemory();
    scratch = memory ? { memory, fn: chainOn(memory) } : undefined;
  }
  if (!scratch?.fn) {
    runChain(x, y, channels, steps);
    return y;
  }
  const have = scratch.memory.buffer.byteLength;
  if (bytes > have) scratch.memory.grow(Math.ceil((bytes - have) / 65536));
  const buffer = scratch.memory.buffer;
  const params = 8 * x.length; // 8-byte aligned
  new Float32Array(buffer, 0, x.length).set(x);
  writeParams(new Float64Array(buffer, params, channels * 3), steps, channels);
  callChain(scratch.fn, 0, 4 * x.length, x.length, channels, params, steps);
  y.set(new Float32Array(buffer, 4 * x.length, x.length));
  return y;
}

function ascendChain(ctx: KernelContext): tf.Tensor {
  const [input] = ctx.inputs;
  const x = input.dtype === 'float32' ? input : tf.cast(input, 'float32');
  const channels = x.rank === 0 ? 1 : x.shape[x.rank - 1];
  if (!ctx.state.has('steps')) ctx.state.set('steps', planSteps(ctx));
  const key = `steps:${channels}`;
  if (!ctx.state.has(key)) ctx.state.set(key, stepsFor(ctx, ctx.state.get('steps') as ChainSteps, channels));
  const steps = ctx.state.get(key) as ChainSteps;
  const wasm = wasmBackend();
  if (wasm) return runOnHeap(ctx, wasm, x, channels, steps);
  return tf.tensor(runCopied(x.dataSync() as Float32Array, channels, steps), x.shape, 'float32');
}

registerKernel(ASCEND_CHAIN_OP, ascendChain);
