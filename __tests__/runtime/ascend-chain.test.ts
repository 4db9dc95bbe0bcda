/**
 * The fused elementwise chains of the deployable graph (runtime/ascend-fusion.ts,
 * kernels/ascend-chain.ts): a Session must give, bit for bit, what the scalar references
 * of src/quant give step after step, on cpu and wasm; chains must stop where a value has
 * a second reader, and every node of a chain must stay fetchable with its own value.
 */
import { attr, attrStrings, DataType, floatTensor, Graph, makeTensor } from '../../src/ir';
import { ascendAntiQuant, ascendDequant, ascendQuant, packDeqScale, unpackDeqScale } from '../../src/quant';
import type { NodeDef } from '../../src/ir';
import { BackendName, Session } from '../../src/runtime';
import { foldAscendConstants } from '../../src/runtime/ascend-folding';
import { ASCEND_CHAIN_OP, CHAIN_ATTR, fuseAscendChains } from '../../src/runtime/ascend-fusion';
import { ChainSteps, runChain } from '../../src/runtime/kernels/ascend-chain-loop';
import { rng, uniform } from '../helpers/graph-builders';
import { constant, placeholder } from './tiny-graphs';

const F = attr.type(DataType.DT_FLOAT);
const BACKENDS: BackendName[] = ['cpu', 'wasm'];
const SHAPE = [2, 3, 4, 5]; // NHWC, C = 5
const C = 5;

interface ChainSpec {
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
function chainGraph(spec: ChainSpec, channels = C): { g: Graph; steps: string[] } {
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
function referenceSteps(spec: ChainSpec, x: Float32Array, backend: BackendName, shape = SHAPE): Float32Array[] {
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
function accumulators(n: number, seed: number, beyondInt32 = true): Float32Array {
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
function nearTies(n: number, s: number, huge = true): Float32Array {
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

async function runSession(g: Graph, fetches: string[], x: Float32Array, backend: BackendName, shape = SHAPE): Promise<Float32Array[]> {
  const s = await Session.create(g, { backend });
  try {
    const out = await s.run(fetches, { x: { data: x, shape } });
    return out.map((o) => o.data as Float32Array);
  } finally {
    s.dispose();
  }
}

/** Float32 values as numbers, -0 kept apart from 0 (toEqual compares with Object.is). */
const values = (a: Float32Array) => Array.from(a);

const SIZE = SHAPE.reduce((a, b) => a * b, 1);
const perChannelDeq = packDeqScale(0.0123, uniform(rng(4), C, 1e-3, 1e-1));
const shiftedDeq = packDeqScale(0.0123, uniform(rng(5), C, 1e-3, 1e-1), [0, 3, 0, 7, 1]);
const oneDeq = packDeqScale(0.02, Float32Array.from([0.5]));
const bias = Int32Array.from([-7, 0, 1234, -40000, 16777217]);

/**
 * Each case runs on [2, 3, 4, 5] with every edge value, and on [1, 3, 3, 5] (45 values: the
 * SIMD pass does 44, the last one is a tail) with inputs a conv can make, so that both the
 * SIMD pass and the scalar pass it falls back to are checked where the SIMD pass applies.
 */
const CASES: [string, ChainSpec, (n: number, seed: number, edges: boolean) => Float32Array][] = [
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
const RUNS: [number[], number, boolean][] = [
  [SHAPE, 1, true],
  [[1, 3, 3, 5], 2, false],
];

describe.each(BACKENDS)('fused Ascend chains on %s equal the references step by step', (backend) => {
  test.each(CASES)('%s', async (_name, spec, data) => {
    const { g, steps } = chainGraph(spec);
    const fused = fuseAscendChains(folded(g));
    // The chain, and the Ascend ops inside it alone (they run only when fetched).
    const alone = steps.slice(0, -1).filter((name) => g.getNode(name).op.startsWith('Ascend')).map((name) => [name]);
    expect(fused.map((n) => attrStrings(n, CHAIN_ATTR))).toEqual([steps, ...alone]);
    for (const [shape, seed, edges] of RUNS) {
      const x = data(shape.reduce((a, b) => a * b, 1), seed, edges);
      const want = referenceSteps(spec, x, backend, shape);
      const [last] = await runSession(g, [steps[steps.length - 1]], x, backend, shape);
      expect(values(last)).toEqual(values(want[want.length - 1]));
      // Every node of the chain stays fetchable, with its own value, next to the fused output.
      const all = await runSession(g, steps, x, backend, shape);
      all.forEach((got, i) => expect(values(got)).toEqual(values(want[i])));
    }
  });
});

test.each(BACKENDS)('on %s, tensors of 1, 2 or 3 channels (lanes spanning pixels) and with a tail', async (backend) => {
  for (const shape of [[1, 7, 3, 3], [1, 5, 5, 1], [2, 3, 3, 2]]) {
    const channels = shape[3];
    const spec: ChainSpec = {
      bias: Int32Array.from({ length: channels }, (_, c) => 1000 * c - 7),
      deq: packDeqScale(0.0123, uniform(rng(channels), channels, 1e-3, 1e-1)),
      act: 'Relu',
      quant: { scale: 0.37, offset: -128 },
      anti: 1 / 0.37,
    };
    const { g, steps } = chainGraph(spec, channels);
    const n = shape.reduce((a, b) => a * b, 1);
    const x = accumulators(n, channels, false);
    const want = referenceSteps(spec, x, backend, shape);
    const [last] = await runSession(g, [steps[steps.length - 1]], x, backend, shape);
    expect(values(last)).toEqual(values(want[want.length - 1]));
  }
});

/** The JavaScript loop, which runs only where WebAssembly is missing, on the same cases. */
describe.each(BACKENDS)('the JavaScript chain loop with %s semantics equals the references', (backend) => {
  function stepsOf(spec: ChainSpec): ChainSteps {
    const fields = spec.deq ? Array.from(spec.deq, unpackDeqScale) : [];
    const perChannel = (f: (i: number) => number) => (fields.length === 1 ? Array.from({ length: C }, () => f(0)) : fields.map((_, c) => f(c)));
    const half = 2 ** ((spec.quant?.bits ?? 8) - 1);
    return {
      bias: spec.bias ? Float32Array.from(spec.bias) : undefined,
      dequant: spec.deq ? { scale: Float32Array.from(perChannel((c) => fields[c].scale)), pow2: Float64Array.from(perChannel((c) => 2 ** fields[c].shiftN)), k: (spec.ksize ?? [1, 1]).reduce((a, b) => a * b, 1) } : undefined,
      act: spec.act === 'Relu' ? 'relu' : spec.act === 'Relu6' ? 'relu6' : undefined,
      relu6NaN: backend === 'wasm' ? 'zero' : 'keep',
      quant: spec.quant ? { scale: spec.quant.scale, lo: -half - spec.quant.offset, hi: half - 1 - spec.quant.offset } : undefined,
      antiQuant: spec.anti,
    };
  }
  test.each(CASES)('%s', (_name, spec, data) => {
    const x = data(SIZE, 1, true);
    const want = referenceSteps(spec, x, backend);
    const y = new Float32Array(x.length);
    runChain(x, y, C, stepsOf(spec));
    expect(values(y)).toEqual(values(want[want.length - 1]));
  });
});

function folded(g: Graph): Graph {
  const copy = g.clone();
  foldAscendConstants(copy);
  return copy;
}

describe('where chains stop', () => {
  const spec: ChainSpec = { bias, deq: perChannelDeq, act: 'Relu6', quant: { scale: 42.5, offset: -128 } };

  test('a value read twice ends the chain there: both readers get it, nothing runs twice', async () => {
    const { g } = chainGraph(spec);
    g.addNode({ name: 'other', op: 'Neg', inputs: ['act'], attr: { T: F } });
    const chains = fuseAscendChains(folded(g)).map((n) => attrStrings(n, CHAIN_ATTR));
    expect(chains).toEqual([['bias_add', 'dequant', 'act'], ['quant'], ['dequant']]);
    for (const backend of BACKENDS) {
      const x = accumulators(SIZE, 7);
      const want = referenceSteps(spec, x, backend);
      const [quant, other] = await runSession(g, ['quant', 'other'], x, backend);
      expect(values(quant)).toEqual(values(want[3]));
      expect(values(other)).toEqual(values(want[2].map((v) => -v)));
    }
  });

  test('a control edge, a second output index or ops out of order end the chain', () => {
    const control = chainGraph(spec).g;
    control.addNode({ name: 'after', op: 'NoOp', controlInputs: ['dequant'] });
    expect(fuseAscendChains(folded(control)).map((n) => attrStrings(n, CHAIN_ATTR))).toEqual([['bias_add', 'dequant'], ['act', 'quant']]);

    const g = new Graph(); // Quant → Relu: Relu cannot follow a quantizer in a chain; the quantizer runs alone
    placeholder(g, 'x', SHAPE);
    g.addNode({ name: 'q', op: 'AscendQuant', inputs: ['x'], attr: { T: F, scale: attr.float(2), offset: attr.float(0), quant_bits: attr.int(8) } });
    g.addNode({ name: 'r', op: 'Relu', inputs: ['q'], attr: { T: F } });
    expect(fuseAscendChains(g.clone()).map((n) => attrStrings(n, CHAIN_ATTR))).toEqual([['q']]);
  });

  test('identical quantizers of one tensor are merged (the copy becomes an Identity of the kept one), a different one is kept', async () => {
    const g = new Graph();
    placeholder(g, 'x', [-1, -1, -1, C]);
    g.addNode({ name: 'r', op: 'Relu', inputs: ['x'], attr: { T: F } });
    const quant = (name: string, scale: number) =>
      g.addNode({ name, op: 'AscendQuant', inputs: ['r'], attr: { T: F, quant_bits: attr.int(8), scale: attr.float(scale), offset: attr.float(-128), dst_type: attr.str('INT8') } });
    quant('q1', 0.37);
    quant('q2', 0.37);
    quant('q3', 0.5);
    g.addNode({ name: 'n1', op: 'Neg', inputs: ['q1'], attr: { T: F } });
    g.addNode({ name: 'a2', op: 'AscendAntiQuant', inputs: ['q2'], attr: { T: F, scale: attr.float(2), offset: attr.float(-128) } });
    g.addNode({ name: 'n3', op: 'Neg', inputs: ['q3'], attr: { T: F } });
    const copy = g.clone();
    const chains = fuseAscendChains(copy).map((n) => attrStrings(n, CHAIN_ATTR));
    expect(copy.getNode('q2').op).toBe('Identity');
    expect(copy.getNode('q2').inputs).toEqual(['q1']);
    expect(chains).toEqual(expect.arrayContaining([['q1'], ['q3'], ['a2']]));
    const twoOnly = g.clone(); // without the different one, the Relu has one reader left: Relu → AscendQuant fuses
    twoOnly.removeNode('n3');
    twoOnly.removeNode('q3');
    expect(fuseAscendChains(twoOnly).map((n) => attrStrings(n, CHAIN_ATTR))).toEqual(expect.arrayContaining([['r', 'q1']]));
    const x = Float32Array.from(nearTies(SIZE, 0.37, false));
    const relu = x.map((v) => (v > 0 ? v : 0));
    for (const backend of BACKENDS) {
      const [n1, a2, q2, q3] = await runSession(g, ['n1', 'a2', 'q2', 'q3'], x, backend);
      const q = ascendQuant(relu, 0.37, -128);
      expect(values(n1)).toEqual(values(q.map((v) => -v)));
      expect(values(a2)).toEqual(values(ascendAntiQuant(q, 2)));
      expect(values(q2)).toEqual(values(q));
      expect(values(q3)).toEqual(values(ascendQuant(relu, 0.5, -128)));
    }
  });

  test('chains without an Ascend op (float graphs) are left to tfjs', () => {
    const g = new Graph();
    placeholder(g, 'x', SHAPE);
    constant(g, 'b', floatTensor([C], [1, 2, 3, 4, 5]));
    g.addNode({ name: 'bias_add', op: 'BiasAdd', inputs: ['x', 'b'], attr: { T: F, data_format: attr.str('NHWC') } });
    g.addNode({ name: 'r', op: 'Relu6', inputs: ['bias_add'], attr: { T: F } });
    g.addNode({ name: 'sum', op: 'AddV2', inputs: ['r', 'x'], attr: { T: F } });
    g.addNode({ name: 'r2', op: 'Relu', inputs: ['sum'], attr: { T: F } });
    expect(fuseAscendChains(g.clone())).toEqual([]);
  });

  test('a bias that is not a constant, or NCHW per-channel parameters, are left to the ops', () => {
    const g = new Graph();
    placeholder(g, 'x', SHAPE);
    placeholder(g, 'b', [C]);
    g.addNode({ name: 'bias_add', op: 'BiasAdd', inputs: ['x', 'b'], attr: { T: F, data_format: attr.str('NHWC') } });
    g.addNode({ name: 'r', op: 'Relu', inputs: ['bias_add'], attr: { T: F } });
    expect(fuseAscendChains(g.clone()).map((n) => attrStrings(n, CHAIN_ATTR))).toEqual([]);

    const nchw = chainGraph({ deq: perChannelDeq, act: 'Relu' }).g;
    nchw.getNode('dequant').attr.data_format = attr.str('NCHW');
    expect(fuseAscendChains(folded(nchw))).toEqual([]);
  });

  test('the fused node keeps the last node\'s name and reads the chain\'s input and constants', () => {
    const g = folded(chainGraph(spec).g);
    const [node] = fuseAscendChains(g);
    expect(node.name).toBe('quant');
    expect(node.op).toBe(ASCEND_CHAIN_OP);
    expect(node.inputs).toEqual(['x', 'bias', 'deq_scale']);
    expect(g.getNode('act').op).toBe('Relu6'); // left in place, read by nobody: runs only when fetched
  });
});

test('a bias of the wrong length fails as the op would, naming the node', async () => {
  const g = new Graph();
  placeholder(g, 'x', SHAPE);
  constant(g, 'b', floatTensor([3], [1, 2, 3]));
  g.addNode({ name: 'bias_add', op: 'BiasAdd', inputs: ['x', 'b'], attr: { T: F, data_format: attr.str('NHWC') } });
  g.addNode({ name: 'r', op: 'Relu', inputs: ['bias_add'], attr: { T: F } });
  g.addNode({ name: 'q', op: 'AscendQuant', inputs: ['r'], attr: { T: F, scale: attr.float(2), offset: attr.float(0), quant_bits: attr.int(8) } });
  expect(fuseAscendChains(folded(g)).map((n) => attrStrings(n, CHAIN_ATTR))).toEqual([['bias_add', 'r', 'q']]);
  for (const backend of BACKENDS) {
    await expect(runSession(g, ['q'], new Float32Array(SIZE), backend)).rejects.toMatchObject({ code: 'INVALID_GRAPH', node: 'bias_add' });
  }
});

describe.each(BACKENDS)('residual sums on %s: AddV2(AntiQuant(a), b) → Relu → AscendQuant as one pass', (backend) => {
  /** a, b → [AntiQuant] each → AddV2 → act → AscendQuant → [AntiQuant]; b of shape `bShape`. */
  function sumGraph(antiA: boolean, antiB: boolean, act: 'Relu' | 'Relu6', anti: boolean, bShape: number[]): { g: Graph; steps: string[] } {
    const g = new Graph();
    placeholder(g, 'a', [-1, -1, -1, C]);
    placeholder(g, 'b', bShape);
    const q = (name: string, input: string, scale: number) => g.addNode({ name, op: 'AscendAntiQuant', inputs: [input], attr: { T: F, scale: attr.float(scale), offset: attr.float(-128) } });
    if (antiA) q('anti_a', 'a', 0.0642702654);
    if (antiB) q('anti_b', 'b', 0.0383233279);
    g.addNode({ name: 'add', op: 'AddV2', inputs: [antiA ? 'anti_a' : 'a', antiB ? 'anti_b' : 'b'], attr: { T: F } });
    g.addNode({ name: 'act', op: act, inputs: ['add'], attr: { T: F } });
    g.addNode({ name: 'quant', op: 'AscendQuant', inputs: ['act'], attr: { T: F, quant_bits: attr.int(8), scale: attr.float(15.5592947), offset: attr.float(-128), dst_type: attr.str('INT8') } });
    if (anti) q('anti', 'quant', 1 / 15.5592947);
    const steps = [...(antiA ? ['anti_a'] : []), ...(antiB ? ['anti_b'] : []), 'add', 'act', 'quant', ...(anti ? ['anti'] : [])];
    return { g, steps };
  }

  function reference(a: Float32Array, b: Float32Array, antiA: boolean, antiB: boolean, act: 'Relu' | 'Relu6', anti: boolean): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    const av = antiA ? (out.anti_a = ascendAntiQuant(a, 0.0642702654)) : a;
    const bv = antiB ? (out.anti_b = ascendAntiQuant(b, 0.0383233279)) : b;
    out.add = av.map((v, i) => v + bv[i % bv.length]);
    out.act = out.add.map((v) => (act === 'Relu' ? (v > 0 || v !== v ? v : 0) : v > 0 ? Math.min(v, 6) : v !== v && backend === 'cpu' ? v : 0));
    out.quant = ascendQuant(out.act, 15.5592947, -128);
    if (anti) out.anti = ascendAntiQuant(out.quant, 1 / 15.5592947);
    return out;
  }

  async function run(g: Graph, fetches: string[], a: Float32Array, b: Float32Array, shape: number[], bShape: number[]): Promise<Float32Array[]> {
    const s = await Session.create(g, { backend });
    try {
      const out = await s.run(fetches, { a: { data: a, shape }, b: { data: b, shape: bShape } });
      return out.map((o) => o.data as Float32Array);
    } finally {
      s.dispose();
    }
  }

  test.each([
    [true, false, 'Relu', false],
    [false, true, 'Relu6', true],
    [true, true, 'Relu', true],
  ] as const)('AntiQuant on a: %s, on b: %s, then %s, AntiQuant after: %s', async (antiA, antiB, act, anti) => {
    const { g, steps } = sumGraph(antiA, antiB, act, anti, [-1, -1, -1, C]);
    const fused = fuseAscendChains(g.clone()).find((n) => attrStrings(n, CHAIN_ATTR)[0] === 'add')!;
    expect(attrStrings(fused, CHAIN_ATTR)).toEqual(steps.filter((n) => !n.startsWith('anti_')));
    expect(fused.inputs).toEqual(['a', 'b']);
    for (const [shape, seed, edges] of RUNS) {
      const n = shape.reduce((x, y) => x * y, 1);
      // Quantized integers (as AscendQuant gives them), and with `edges` NaN, ±Inf and halves.
      const ints = (s: number) => Float32Array.from(uniform(rng(s), n, -128, 127), (v, i) => (edges && i % 13 === 5 ? [NaN, Infinity, -Infinity, 0.5][i % 4] : Math.round(v)));
      const [a, b] = [ints(seed), ints(seed + 10)];
      const want = reference(a, b, antiA, antiB, act, anti);
      const got = await run(g, steps, a, b, shape, shape);
      got.forEach((values_, i) => expect(values(values_)).toEqual(values(want[steps[i]])));
      const [last] = await run(g, [steps[steps.length - 1]], a, b, shape, shape);
      expect(values(last)).toEqual(values(want[steps[steps.length - 1]]));
    }
  });

  test('a broadcast second input is summed by the ops, the rest in one pass', async () => {
    const { g } = sumGraph(true, false, 'Relu', true, [C]);
    const a = Float32Array.from(uniform(rng(3), SIZE, -128, 127), Math.round);
    const b = Float32Array.from([-3, 0.5, 7, -100, 2]);
    const want = reference(a, b, true, false, 'Relu', true);
    const [got] = await run(g, ['anti'], a, b, SHAPE, [C]);
    expect(values(got)).toEqual(values(want.anti));
  });

  test('an AntiQuant with a second reader is not absorbed', () => {
    const { g } = sumGraph(true, false, 'Relu', false, [-1, -1, -1, C]);
    g.addNode({ name: 'other', op: 'Neg', inputs: ['anti_a'], attr: { T: F } });
    const chains = fuseAscendChains(g.clone());
    const sum = chains.find((n) => attrStrings(n, CHAIN_ATTR)[0] === 'add')!;
    expect(sum.inputs).toEqual(['anti_a', 'b']);
  });
});
