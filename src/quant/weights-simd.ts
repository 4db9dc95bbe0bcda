/**
 * quantizeWeights on WebAssembly SIMD (weights-simd-module.ts), about 10× faster than the
 * JavaScript loop (quantizeWeightsLoop), which pays a float64 division, a float32 rounding
 * and an Int8Array store per weight. The loop already keeps Math.* out of its body (slow
 * under jest's vm, see round.ts); here the arithmetic is in wasm, which jest does not slow
 * down, and Math is called once per chunk. Where the module does not compile (no
 * WebAssembly, or no SIMD) `quantizeWeightsSimd` returns undefined and the loop runs.
 *
 * Layouts: one channel, or inner < 4 (HWIO, depthwise HWC1, MatMul [in, out]) run the
 * tiled kernel, sixteen weights a step; inner ≥ 4 the blocks kernel, a splatted scale per
 * block. No layout is left to scalar code.
 *
 * Memory: the weights go through one module-wide wasm memory in chunks of CHUNK values
 * (copy in, one call, copy the int8 out). It is kept for the life of the process because
 * it is small and bounded whatever the model: 5 bytes per chunk value (≈ 320 KiB) plus the
 * scales (for inner < 4 a tile of at most 16 periods and no longer than the layer, else one
 * float per channel). Keeping it saves a memory and an instance per layer, and chunks that
 * fit in the L2 cache keep the copies cheap. (A memory cannot shrink; only a model with a
 * huge channel count would grow it past a few MiB.)
 */
import { compileModule, instanceOnNewMemory, reserveBytes } from '../wasm/host';
import type { WasmMemory } from '../wasm/host';
import { moduleBytes } from '../wasm/assembler';
import { BlocksFn, TiledFn, weightKernels } from './weights-simd-module';

/** Weights per call: a multiple of 16, so every chunk starts on a step of the tiled kernel. */
export const CHUNK = 65536;

interface Kernels {
  memory: WasmMemory;
  tiled: TiledFn;
  blocks: BlocksFn;
}

let kernels: Kernels | null | undefined; // null: not available here

function loadKernels(): Kernels | null {
  const instance = instanceOnNewMemory(compileModule(() => moduleBytes(weightKernels())));
  if (!instance) return null;
  const { memory, exports } = instance;
  return { memory, tiled: exports.tiled as TiledFn, blocks: exports.blocks as BlocksFn };
}

/** Whether this process quantizes weights with the SIMD module (false: the JavaScript loop). */
export function weightsSimdAvailable(): boolean {
  if (kernels === undefined) kernels = loadKernels();
  return kernels !== null;
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** Fills `tile` with the scale of element j at j: the layout's period (channels · inner) laid out along it. */
function fillScaleTile(tile: Float32Array, scaleW: Float32Array, channels: number, inner: number): void {
  for (let j = 0, c = 0, k = 0; j < tile.length; j++) {
    tile[j] = scaleW[c];
    if (++k === inner) {
      k = 0;
      if (++c === channels) c = 0;
    }
  }
}

/**
 * w quantized with scale scaleW[floor(i / inner) % channels] for element i, clamped to
 * [qmin, qmax] (integers within int8), as quantizeWeightsLoop; undefined where WebAssembly
 * SIMD is not available or its memory cannot grow to the layer's chunk and scales (the
 * caller then runs the loop). Arguments are checked by the caller.
 */
export function quantizeWeightsSimd(w: WeightValues, scaleW: Float32Array, channels: number, inner: number, qmin: number, qmax: number): Int8Array | undefined {
  if (!weightsSimdAvailable()) return undefined;
  const out = new Int8Array(valueCount(w));
  if (out.length === 0) return out;
  // One channel (per tensor): one scale for all, the tiled kernel's fastest case.
  let done: boolean;
  if (channels === 1) done = quantizeTiled(kernels!, w, out, scaleW, 1, 1, qmin, qmax);
  else if (inner >= 4) done = quantizeBlocks(kernels!, w, out, scaleW, channels, inner, qmin, qmax);
  else done = quantizeTiled(kernels!, w, out, scaleW, channels, inner, qmin, qmax);
  return done ? out : undefined;
}

/**
 * The weights: float32 values, or their little-endian bytes at any alignment (a .pb's
 * tensor_content, read without a copy into a Float32Array: ir/tensor-lazy.ts).
 */
export type WeightValues = Float32Array | Uint8Array;

/** How many weights `w` holds. */
export function valueCount(w: WeightValues): number {
  return w instanceof Float32Array ? w.length : w.length / 4;
}

/** Copies weights [start, start + length) to `dst` (a view into the kernels' memory). */
function copyValues(dst: Float32Array, w: WeightValues, start: number, length: number): void {
  if (w instanceof Float32Array) dst.set(w.subarray(start, start + length));
  else new Uint8Array(dst.buffer, dst.byteOffset, 4 * length).set(w.subarray(4 * start, 4 * (start + length)));
}

/** Memory layout of one call: the chunk's floats, its int8 results, then the scales; undefined when the memory cannot grow to hold them. */
function views(k: Kernels, chunk: number, scaleCount: number) {
  const dst = 4 * chunk;
  const scales = roundUp(dst + chunk, 16);
  if (!reserveBytes(k.memory, scales + 4 * scaleCount)) return undefined;
  const buffer = k.memory.buffer;
  return { dst, scales, src: new Float32Array(buffer, 0, chunk), out: new Int8Array(buffer, dst, chunk), scaleView: new Float32Array(buffer, scales, scaleCount) };
}

/** The least common multiple of `period` and 16. */
function wholeSteps(period: number): number {
  let m = period;
  while (m % 16 !== 0) m += period;
  return m;
}

/**
 * inner < 4 (last-axis channels: HWIO, depthwise HWC1, MatMul [in, out]; or one channel):
 * the scales repeat with period channels · inner, read from a tile of whole periods and
 * whole steps of the kernel (16 floats), which it wraps between steps; no longer than the
 * weights themselves (then it never wraps). False, with nothing written, when the memory
 * cannot grow to hold a chunk and the tile.
 */
function quantizeTiled(k: Kernels, w: WeightValues, out: Int8Array, scaleW: Float32Array, channels: number, inner: number, qmin: number, qmax: number): boolean {
  const count = out.length;
  const padded = roundUp(count, 16);
  const tileLength = Math.min(wholeSteps(channels * inner), padded);
  const chunk = Math.min(CHUNK, padded);
  const m = views(k, chunk, tileLength);
  if (!m) return false;
  fillScaleTile(m.scaleView.subarray(0, tileLength), scaleW, channels, inner);
  for (let start = 0; start < count; start += chunk) {
    const length = Math.min(chunk, count - start);
    const steps = roundUp(length, 16);
    copyValues(m.src, w, start, length);
    m.src.fill(0, length, steps); // a partial last step: any finite value, its results are not read
    k.tiled(0, m.dst, steps, m.scales, 4 * tileLength, 4 * (start % tileLength), qmin, qmax);
    out.set(m.out.subarray(0, length), start);
  }
  return true;
}

/**
 * inner ≥ 4: blocks of `inner` weights sharing a scale. Chunks hold whole blocks; a block
 * longer than CHUNK is cut into pieces of about equal length (each ≥ CHUNK / 2, so ≥ 4),
 * each run as one block of its own with the block's channel. False, with nothing written,
 * when the memory cannot grow to hold a chunk and the scales.
 */
function quantizeBlocks(k: Kernels, w: WeightValues, out: Int8Array, scaleW: Float32Array, channels: number, inner: number, qmin: number, qmax: number): boolean {
  const blockCount = out.length / inner;
  const pieces = Math.ceil(inner / CHUNK);
  const piece = Math.ceil(inner / pieces);
  const blocksPerChunk = Math.max(1, Math.floor(CHUNK / inner));
  const m = views(k, pieces > 1 ? piece : blocksPerChunk * inner, channels);
  if (!m) return false;
  m.scaleView.set(scaleW);
  const run = (start: number, count: number, length: number, channel: number) => {
    copyValues(m.src, w, start, count * length);
    k.blocks(0, m.dst, count, length, m.scales, channels, channel, qmin, qmax);
    out.set(m.out.subarray(0, count * length), start);
  };
  for (let b = 0; b < blockCount; b += blocksPerChunk) {
    const count = Math.min(blocksPerChunk, blockCount - b);
    if (pieces === 1) run(b * inner, count, inner, b % channels);
    else for (let at = 0; at < inner; at += piece) run(b * inner + at, 1, Math.min(piece, inner - at), b % channels);
  }
  return true;
}
