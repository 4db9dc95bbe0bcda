/**
 * FusedBatchNorm parameters that would make tfjs's kernels read outside their tensors
 * (empty) or mix channels (wrong length) are refused at Session.create, naming the node
 * (issue 11, item 7: a mutated .pb made the wasm BatchNorm kernel read out of bounds,
 * after which every wasm session failed).
 */
import { SessionError } from '../../src/errors';
import { attr, DataType, floatTensor, Graph } from '../../src/ir';
import { Session } from '../../src/runtime';
import { constant, matMulGraph, placeholder } from './tiny-graphs';
import { rejectionOf } from '../helpers/errors';

const F = attr.type(DataType.DT_FLOAT);

/** x [1,2,2,C] (C unknown when `channels` is -1) → FusedBatchNormV3 with params of the given lengths. */
function bnGraph(sizes: number[][], channels = 3, viaIdentity = false): Graph {
  const g = new Graph();
  placeholder(g, 'x', [1, 2, 2, channels]);
  const inputs = ['scale', 'offset', 'mean', 'var'].map((n, i) => {
    const dims = sizes[i];
    const count = dims.reduce((a, b) => a * b, 1);
    constant(g, n, floatTensor(dims, Array.from({ length: count }, (_, k) => k + 1)));
    if (!viaIdentity) return n;
    g.addNode({ name: `${n}/read`, op: 'Identity', inputs: [n], attr: { T: F } });
    return `${n}/read`;
  });
  g.addNode({ name: 'bn', op: 'FusedBatchNormV3', inputs: ['x', ...inputs], attr: { T: F, U: F, epsilon: attr.float(0.001), data_format: attr.str('NHWC'), is_training: attr.bool(false) } });
  return g;
}

function createError(g: Graph): Promise<SessionError> {
  return rejectionOf(Session.create(g, { backend: 'wasm' }).then((s) => s.dispose()), SessionError);
}

describe('FusedBatchNorm parameters are checked at Session.create', () => {
  test.each([
    ['an empty scale', [[0], [3], [3], [3]], 3, false, /scale \(scale\) has shape \[0\]/],
    ['an empty mean behind an Identity', [[3], [3], [0], [3]], 3, true, /mean \(mean\) has shape \[0\]/],
    ['a matrix variance', [[3], [3], [3], [3, 1]], 3, false, /variance \(var\) has shape \[3, 1\]/],
    ['lengths that differ', [[3], [3], [3], [2]], -1, false, /3\/3\/3\/2 values; they must be equal/],
    ['lengths that miss the channels', [[2], [2], [2], [2]], 3, false, /2\/2\/2\/2 values, but the input has 3 channels/],
  ])('%s: INVALID_GRAPH naming the node', async (_, sizes, channels, viaIdentity, message) => {
    const e = await createError(bnGraph(sizes as number[][], channels as number, viaIdentity as boolean));
    expect(e.code).toBe('INVALID_GRAPH');
    expect(e.node).toBe('bn');
    expect(e.message).toMatch(message as RegExp);
    expect(e.hint).toMatch(/one value per channel/);
  });

  test('valid parameters run: (x − mean)/sqrt(var + eps)·scale + offset', async () => {
    const session = await Session.create(bnGraph([[3], [3], [3], [3]], -1), { backend: 'wasm' });
    try {
      const out = await session.run('bn', { x: { data: Float32Array.from({ length: 12 }, (_, i) => i), shape: [1, 2, 2, 3] } });
      const expected = Array.from({ length: 12 }, (_, i) => {
        const c = (i % 3) + 1;
        return ((i - c) / Math.sqrt(c + 0.001)) * c + c;
      });
      (out.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    } finally {
      session.dispose();
    }
    const other = await Session.create(matMulGraph(), { backend: 'wasm' });
    try {
      expect(Array.from((await other.run('y', { x: { data: [1, 1], shape: [1, 2] } })).data as Float32Array)).toEqual([5.5, 0, 10]);
    } finally {
      other.dispose();
    }
  });
});
