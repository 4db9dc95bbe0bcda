/**
 * Residual sums fused with what follows (runtime/ascend-fusion.ts): AddV2 of two inputs, each
 * possibly through an AscendAntiQuant only it reads, then Relu/Relu6 → AscendQuant →
 * [AscendAntiQuant], as one pass, bit for bit what the references give, on cpu and wasm.
 */
import { attr, attrStrings, Graph } from '../../src/ir';
import { ascendAntiQuant, ascendQuant } from '../../src/quant';
import { Session } from '../../src/runtime';
import { CHAIN_ATTR, fuseAscendChains } from '../../src/runtime/ascend-fusion';
import { rng, uniform } from '../helpers/graph-builders';
import { BACKENDS, C, F, RUNS, SHAPE, SIZE, values } from './ascend-chain-fixtures';
import { placeholder } from './tiny-graphs';

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
