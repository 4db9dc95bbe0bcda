/**
 * Runs hist-loss.ts's loss on WebAssembly SIMD (loss-kernel-module.ts), two candidates per
 * call, with the same sums bit for bit. Undefined where WebAssembly SIMD is missing: the
 * caller keeps its JavaScript loop.
 */
import { moduleBytes } from '../wasm/assembler';
import { compileModule, instantiate, newWasmMemory, reserveBytes } from '../wasm/host';
import type { WasmMemory } from '../wasm/host';
import { lossKernelFunctions } from './loss-kernel-module';

/** The bins as the loss reads them (hist-loss PreparedBins): one value per non-empty bin each. */
export interface LossBins {
  n: Float64Array;
  half: Float64Array;
  u: Float64Array;
  v: Float64Array;
  density: Float64Array;
  mean: Float64Array;
  tiny: number;
}

/** A candidate clip range with its grid step and the quantized ends (hist-loss `quantize` of lo and c). */
export interface LossCandidate {
  lo: number;
  clip: number;
  scale: number;
  qLo: number;
  qC: number;
}

type Loss2 = (count: number, n: number, half: number, u: number, v: number, density: number, mean: number, tiny: number,
  lo0: number, lo1: number, c0: number, c1: number, s0: number, s1: number, qLo0: number, qLo1: number, qC0: number, qC1: number, out: number) => void;

let kernel: { memory: WasmMemory; loss2: Loss2 } | null | undefined;

function loadKernel(): typeof kernel {
  const module = compileModule(() => moduleBytes(lossKernelFunctions));
  const memory = module && newWasmMemory();
  const exports = module && memory && instantiate(module, memory);
  return exports && memory ? { memory, loss2: exports.loss2 as Loss2 } : null;
}

/** Each candidate's loss sum (before the division by the total count), or undefined without WebAssembly SIMD. */
export function lossSumsSimd(bins: LossBins, candidates: readonly LossCandidate[]): Float64Array | undefined {
  if (kernel === undefined) kernel = loadKernel();
  if (!kernel) return undefined;
  const count = bins.n.length;
  const arrays = [bins.n, bins.half, bins.u, bins.v, bins.density, bins.mean];
  const out = 8 * count * arrays.length; // two float64 results after the arrays
  reserveBytes(kernel.memory, out + 16);
  const heap = new Float64Array(kernel.memory.buffer);
  arrays.forEach((a, i) => heap.set(a, count * i));
  const ptr = (i: number) => 8 * count * i;
  const sums = new Float64Array(candidates.length);
  for (let k = 0; k < candidates.length; k += 2) {
    const a = candidates[k];
    const b = candidates[Math.min(k + 1, candidates.length - 1)]; // an odd last one runs in both lanes
    kernel.loss2(count, ptr(0), ptr(1), ptr(2), ptr(3), ptr(4), ptr(5), bins.tiny, a.lo, b.lo, a.clip, b.clip, a.scale, b.scale, a.qLo, b.qLo, a.qC, b.qC, out);
    sums[k] = heap[out / 8];
    if (k + 1 < candidates.length) sums[k + 1] = heap[out / 8 + 1];
  }
  return sums;
}
