/**
 * Graphs, data and references shared by the tests of the fused Ascend chains
 * (ascend-chain.test.ts, ascend-chain-sums.test.ts).
 */
import { attr, DataType, Graph, makeTensor } from '../../src/ir';
import type { NodeDef } from '../../src/ir';
import { ascendAntiQuant, ascendDequant, ascendQuant, packDeqScale } from '../../src/quant';
import { BackendName, Session } from '../../src/runtime';
import { foldAscendConstants } from '../../src/runtime/ascend-folding';
import { rng, uniform } from '../helpers/graph-builders';
import { constant, placeholder } from './tiny-graphs';

export const F = attr.type(DataType.DT_FLOAT);
export const BACKENDS: BackendName[] = ['cpu', 'wasm'];
export const SHAPE = [2, 3, 4, 5]; // NHWC, C = 5
export const C = 5;

export interface ChainSpec {
  bias?: Int32Array;
  deq?: BigUint64Array;
  ksize?: number[];
  act?: 'Relu' | 'Relu6';
  quant?: { scale: number; offset: number; bits?: number };
  anti?: number;
}

/**
 * x → [BiasAdd(Cast(int32 bias))] → [AscendDequant] → [act] → [AscendQuant] → [AscendAntiQuant],
 * as saveModel writes them; returns the graph and the names of the steps in order.
 */
export function chainGraph(spec: ChainSpec, channels = C): { g: Graph; steps: string[] } {
  const g = new Graph();
  placeholder(g, 'x', [-1, -1, -1, channels]);
  const steps: string[] = [];
  let last = 'x';
  const add = (name: string, op: string, inputs: string[], attrs: NodeDef['attr']) => {
    g.addNode({ name, op, inputs: [last, ...inputs], attr: { T: F, ...attrs } });
    steps.push(name);
    last = name;
  };
  if (spec.bias) {
    constant(g, 'b32', makeTensor(DataType.DT_INT32, [spec.bias.length], spec.bias));
    g.addNode({ name: 'bias', op: 'Cast', inputs: ['b32'], attr: { SrcT: attr.type(DataType.DT_INT32), DstT: F, Truncate: attr.bool(false) } });
    add('bias_add', 'BiasAdd', ['bias'], { data_format: attr.str('NHWC') });
  }
  if (spec.deq) {
    constant(g, 'deq_scale', makeTensor(DataType.DT_UINT64, [spec.deq.length], spec.deq));
    add('dequant', 'AscendDequant', ['deq_scale'], { ksize: attr.ints(spec.ksize ?? [1, 1]), data_format: attr.str('NHWC') });
  }
  if (spec.act) add('act', spec.act, [], {});
  if (spec.quant) {
    const q = spec.quant;
    add('quant', 'AscendQuant', [], { quant_bits: attr.int(q.bits ?? 8), scale: attr.float(q.scale), offset: attr.float(q.offset), dst_type: attr.str('INT8') });
  }
  if (spec.anti !== undefined) add('anti', 'AscendAntiQuant', [], { scale: attr.float(spec.anti), offset: attr.float(0), dtype: attr.type(DataType.DT_FLOAT) });
  return { g, steps };
}

/** The value after every step, from the references (BiasAdd and the activations are float32 ops). */
export function referenceSteps(spec: ChainSpec, x: Float32Array, backend: BackendName, shape = SHAPE): Float32Array[] {
  const out: Float32Array[] = [];
  let v = x;
  if (spec.bias) out.push((v = v.map((value, i) => value + Math.fround(spec.bias![i % spec.bias!.length]))));
  if (spec.deq) out.push((v = ascendDequant(v, spec.deq, shape, { ksize: spec.ksize })));
  if (spec.act === 'Relu') out.push((v = v.map((a) => (a > 0 || a !== a ? a : 0))));
  if (spec.act === 'Relu6') out.push((v = v.map((a) => (a > 0 ? Math.min(a, 6) : a !== a && backend === 'cpu' ? a : 0))));
  if (spec.quant) out.push((v = ascendQuant(v, spec.quant.scale, spec.quant.offset, spec.quant.bits ?? 8)));
  if (spec.anti !== undefined) out.push((v = ascendAntiQuant(v, spec.anti)));
  return out;
}

/**
 * Conv-like accumulators: integers of every size, ties of the shifts, beyond int16, and with
 * `beyondInt32` values a conv never makes (|v| ≥ 2^31, which send a tensor to the scalar pass).
 */
export function accumulators(n: number, seed: number, beyondInt32 = true): Float32Array {
  const huge = beyondInt32 ? [3e9, -3e9, 2 ** 31, -(2 ** 31)] : [2 ** 31 - 128, -(2 ** 31) + 128];
  const edges = [0, -0, 1, -1, 32767, 32768, -32768, -32769, 2 ** 20, -(2 ** 20), 2 ** 24, ...huge, 255, 256, 257, -255, -256, -257];
  const random = uniform(rng(seed), n - edges.length, -70000, 70000).map(Math.round);
  return Float32Array.from([...edges, ...random]);
}

/**
 * Values around the quantizer's ties and clamps for AscendQuant's scale `s`: x·s lands on,
 * or 1 ulp next to, k and k + 0.5 for k spread over [−140, 300] (as in ascend-fast-paths.test.ts),
 * however few values are asked for.
 */
export function nearTies(n: number, s: number, huge = true): Float32Array {
  // ±1e30 and ±Inf send a tensor to the scalar pass: without them the SIMD pass gets the ties.
  const out: number[] = [0, -0, 0.49999997, -0.49999997, 0.5, -0.5, ...(huge ? [1e30, -1e30, Infinity, -Infinity] : [300, -300])];
  const bits = new Float32Array(1);
  const u = new Uint32Array(bits.buffer);
  for (let j = 0; out.length < n; j++) {
    const k = -140 + ((j * 37) % 441);
    const base = j % 2 ? k + 0.5 : k;
    const step = (j % 3) - 1;
    bits[0] = base;
    u[0] += base === 0 ? Math.abs(step) : step;
    out.push(bits[0] / s);
  }
  return Float32Array.from(out.slice(0, n));
}

export async function runSession(g: Graph, fetches: string[], x: Float32Array, backend: BackendName, shape = SHAPE): Promise<Float32Array[]> {
  const s = await Session.create(g, { backend });
  try {
    const out = await s.run(fetches, { x: { data: x, shape } });
    return out.map((o) => o.data as Float32Array);
  } finally {
    s.dispose();
  }
}

/** Float32 values as numbers, -0 kept apart from 0 (toEqual compares with Object.is). */
export const values = (a: Float32Array) => Array.from(a);

export const SIZE = SHAPE.reduce((a, b) => a * b, 1);
export const perChannelDeq = packDeqScale(0.0123, uniform(rng(4), C, 1e-3, 1e-1));
export const shiftedDeq = packDeqScale(0.0123, uniform(rng(5), C, 1e-3, 1e-1), [0, 3, 0, 7, 1]);
export const oneDeq = packDeqScale(0.02, Float32Array.from([0.5]));
export const bias = Int32Array.from([-7, 0, 1234, -40000, 16777217]);

/**
 * Each case runs on [2, 3, 4, 5] with every edge value, and on [1, 3, 3, 5] (45 values: the
 * SIMD pass does 44, the last one is a tail) with inputs a conv can make, so that both the
 * SIMD pass and the scalar pass it falls back to are checked where the SIMD pass applies.
 */
export const CASES: [string, ChainSpec, (n: number, seed: number, edges: boolean) => Float32Array][] = [
  ['BiasAdd → Dequant → Relu6 → Quant (nsfwjs layers; SIMD)', { bias, deq: perChannelDeq, act: 'Relu6', quant: { scale: 1 / 0.0235294122, offset: -128 } }, accumulators],
  ['BiasAdd → Dequant → Quant (signed) → AntiQuant (SIMD)', { bias, deq: perChannelDeq, quant: { scale: 3.3, offset: 17 }, anti: 1 / 3.3 }, accumulators],
  ['BiasAdd → Dequant (shift N > 0 on some channels) → Quant (signed) → AntiQuant', { bias, deq: shiftedDeq, quant: { scale: 3.3, offset: 17 }, anti: 1 / 3.3 }, accumulators],
  ['Dequant (one deq_scale, pooling k = 9) → Relu', { deq: oneDeq, ksize: [3, 3], act: 'Relu' }, accumulators],
  ['Dequant (one deq_scale) alone (SIMD)', { deq: oneDeq }, accumulators],
  ['Relu → Quant (ties and clamps; SIMD)', { act: 'Relu', quant: { scale: 0.37, offset: -128 } }, (n, _s, edges) => nearTies(n, 0.37, edges)],
  ['Quant (signed) → AntiQuant (ties and clamps; SIMD)', { quant: { scale: 0.37, offset: 0 }, anti: 1 / 0.37 }, (n, _s, edges) => nearTies(n, 0.37, edges)],
  // Scale 1: t = x exactly, so ±0.49999997 and the float32 next to every tie reach the rounding as they are.
  ['Quant (scale 1, signed) → AntiQuant (exact ties; SIMD)', { quant: { scale: 1, offset: 0 }, anti: 0.5 }, (n, _s, edges) => nearTies(n, 1, edges)],
  ['Relu → Quant (scale 1, exact ties; SIMD)', { act: 'Relu', quant: { scale: 1, offset: -128 } }, (n, _s, edges) => nearTies(n, 1, edges)],
  ['Quant (signed, 4 bits) → AntiQuant (ties and clamps; SIMD)', { quant: { scale: 1.7, offset: 3, bits: 4 }, anti: 0.25 }, (n, _s, edges) => nearTies(n, 1.7, edges)],
  ['Relu6 → Quant, NaN among the inputs', { act: 'Relu6', quant: { scale: 21.25, offset: -128 } }, (n, _s, edges) => Float32Array.from(nearTies(n, 21.25, edges), (v, i) => (edges && i % 17 === 3 ? NaN : v))],
];
export const RUNS: [number[], number, boolean][] = [
  [SHAPE, 1, true],
  [[1, 3, 3, 5], 2, false],
];


export function folded(g: Graph): Graph {
  const copy = g.clone();
  foldAscendConstants(copy);
  return copy;
}
