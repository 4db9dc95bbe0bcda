/**
 * Runs hist-loss.ts's loss on WebAssembly SIMD (loss-kernel-module.ts), two candidates per
 * call, with the same sums bit for bit. Undefined where WebAssembly SIMD is missing or its
 * memory cannot grow to the bins: the caller keeps its JavaScript loop.
 */
import { moduleBytes } from '../wasm/assembler';
import { compileModule, instanceOnNewMemory, reserveBytes } from '../wasm/host';
import type { WasmMemory } from '../wasm/host';
import { lossKernelFunctions } from './loss-kernel-module';

/** The bins as the loss reads them: one value per non-empty bin each (hist-loss PreparedBins adds the total). */
export interface LossBins {
  n: Float64Array;
  mean: Float64Array;
  half: Float64Array;
  /** mean − half and mean + half: the uniform interval. */
  u: Float64Array;
  v: Float64Array;
  /** n / (2·half): the density of the interval. */
  density: Float64Array;
  /** Intervals narrower than this are points: avoids 0/0 for constant bins. */
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
  const instance = instanceOnNewMemory(compileModule(() => moduleBytes(lossKernelFunctions)));
  return instance ? { memory: instance.memory, loss2: instance.exports.loss2 as Loss2 } : null;
}

/** Whether this process computes the losses on WebAssembly SIMD (false: the JavaScript loop). */
export function lossSimdAvailable(): boolean {
  if (kernel === undefined) kernel = loadKernel();
  return kernel !== null;
}

/** Each candidate's loss sum (before the division by the total count), or undefined without WebAssembly SIMD or when its memory cannot grow to the bins. */
export function lossSumsSimd(bins: LossBins, candidates: readonly LossCandidate[]): Float64Array | undefined {
  if (!lossSimdAvailable()) return undefined;
  const { memory, loss2 } = kernel!;
  const count = bins.n.length;
  const arrays = [bins.n, bins.half, bins.u, bins.v, bins.density, bins.mean];
  const out = 8 * count * arrays.length; // two float64 results after the arrays
  if (!reserveBytes(memory, out + 16)) return undefined;
  const heap = new Float64Array(memory.buffer);
  arrays.forEach((a, i) => heap.set(a, count * i));
  const ptr = (i: number) => 8 * count * i;
  const sums = new Float64Array(candidates.length);
  for (let k = 0; k < candidates.length; k += 2) {
    const a = candidates[k];
    const b = candidates[Math.min(k + 1, candidates.length - 1)]; // an odd last one runs in both lanes
    loss2(count, ptr(0), ptr(1), ptr(2), ptr(3), ptr(4), ptr(5), bins.tiny, a.lo, b.lo, a.clip, b.clip, a.scale, b.scale, a.qLo, b.qLo, a.qC, b.qC, out);
    sums[k] = heap[out / 8];
    if (k + 1 < candidates.length) sums[k + 1] = heap[out / 8 + 1];
  }
  return sums;
}
