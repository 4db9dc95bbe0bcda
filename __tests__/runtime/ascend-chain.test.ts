/**
 * The fused elementwise chains of the deployable graph (runtime/ascend-fusion.ts,
 * kernels/ascend-chain.ts): a Session must give, bit for bit, what the scalar references
 * of src/quant give step after step, on cpu and wasm; chains must stop where a value has
 * a second reader, and every node of a chain must stay fetchable with its own value.
 */
import { attr, attrStrings, floatTensor, Graph } from '../../src/ir';
import { ascendAntiQuant, ascendQuant, packDeqScale, unpackDeqScale } from '../../src/quant';
import { ASCEND_CHAIN_OP, CHAIN_ATTR, fuseAscendChains } from '../../src/runtime/ascend-fusion';
import { ChainSteps, runChain } from '../../src/runtime/kernels/ascend-chain-loop';
import { chainSimdOn } from '../../src/runtime/kernels/ascend-chain-simd';
import { chainOn, STEP } from '../../src/runtime/kernels/ascend-chain-wasm';
import * as host from '../../src/wasm/host';
import { newWasmMemory } from '../../src/wasm/host';
import { rng, uniform } from '../helpers/graph-builders';
import { accumulators, BACKENDS, bias, C, CASES, chainGraph, ChainSpec, F, folded, nearTies, perChannelDeq, referenceSteps, RUNS, runSession, SHAPE, SIZE, values } from './ascend-chain-fixtures';
import { constant, placeholder } from './tiny-graphs';

// The passes fall back quietly where a module does not compile (no WebAssembly SIMD), so
// without this a broken opcode would leave the SIMD and scalar passes untested.
test('the WebAssembly passes compile and link here, for the chains the cases use', () => {
  const memory = newWasmMemory()!;
  expect(typeof chainOn(memory)).toBe('function');
  const chains = [
    STEP.bias | STEP.dequant | STEP.relu6 | STEP.quant,
    STEP.quant | STEP.antiQuant,
    STEP.sum | STEP.sumAntiA | STEP.relu | STEP.quant,
    STEP.dequant,
  ];
  for (const flags of chains) expect(typeof chainSimdOn(memory, flags)).toBe('function');
});

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

test('on cpu, when the pass\'s own memory cannot grow to the tensor, the JavaScript loop runs the chain, with the same values', async () => {
  const grow = jest.spyOn(host, 'reserveBytes').mockReturnValue(false);
  try {
    for (const [, spec, data] of CASES) {
      const { g, steps } = chainGraph(spec);
      const x = data(SIZE, 3, true);
      const want = referenceSteps(spec, x, 'cpu');
      const [last] = await runSession(g, [steps[steps.length - 1]], x, 'cpu');
      expect(values(last)).toEqual(values(want[want.length - 1]));
    }
    expect(grow).toHaveBeenCalled();
  } finally {
    grow.mockRestore();
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

