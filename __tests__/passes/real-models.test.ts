/**
 * Discovery and prepareGraph on real TensorFlow.js graph models (@vladmandic/human, nsfwjs):
 * candidate counts by op before and after preparation, and the prepared graph's outputs
 * equal the original's in the cpu Session (the unfused ops compute exactly what tfjs's
 * fused kernels do; faceres also exercises the Mul and Add folds).
 */
import { loadGraph } from '../../src/io';
import type { Graph } from '../../src/ir';
import { findLayers, prepareGraph } from '../../src/passes';
import { humanModel, nsfwjsModel } from '../helpers/models';
import { compareGraphs } from './session-compare';

type Counts = Record<string, number>;
interface Expected {
  path: () => string;
  before: Counts;
  after: Counts;
  actions: Counts;
}

const EXPECTED: Record<string, Expected> = {
  blazeface: {
    path: () => humanModel('blazeface').path,
    before: { _FusedConv2D: 37, DepthwiseConv2dNative: 32, AddV2: 31, MaxPool: 3 },
    after: { Conv2D: 37, DepthwiseConv2dNative: 32, AddV2: 31, MaxPool: 3 },
    actions: { 'unfuse-tfjs-ops': 37 },
  },
  emotion: {
    path: () => humanModel('emotion').path,
    before: { _FusedConv2D: 9, DepthwiseConv2dNative: 4, MaxPool: 2, AddV2: 2 },
    after: { Conv2D: 9, DepthwiseConv2dNative: 4, MaxPool: 2, AddV2: 2 },
    actions: { 'unfuse-tfjs-ops': 9 },
  },
  iris: {
    path: () => humanModel('iris').path,
    before: { _FusedConv2D: 55, DepthwiseConv2dNative: 26, AddV2: 26, MaxPool: 6 },
    after: { Conv2D: 55, DepthwiseConv2dNative: 26, AddV2: 26, MaxPool: 6 },
    actions: { 'unfuse-tfjs-ops': 55 },
  },
  liveness: {
    path: () => humanModel('liveness').path,
    before: { _FusedConv2D: 4, Add: 4, MaxPool: 2, _FusedMatMul: 2, AddV2: 1 },
    after: { Conv2D: 4, Add: 4, MaxPool: 2, MatMul: 2, AddV2: 1 },
    actions: { 'unfuse-tfjs-ops': 6 },
  },
  faceres: {
    path: () => humanModel('faceres').path,
    before: { Conv2D: 14, Add: 27, DepthwiseConv2dNative: 13, _FusedMatMul: 3 },
    after: { Conv2D: 14, DepthwiseConv2dNative: 13, MatMul: 3 },
    actions: { 'unfuse-tfjs-ops': 3, 'fold-mul': 13, 'add-to-bias': 27 },
  },
  nsfwjs_mobilenet_v2_mid: {
    path: () => nsfwjsModel().path,
    before: { _FusedConv2D: 35, FusedDepthwiseConv2dNative: 17, AddV2: 10, AvgPool: 1, _FusedMatMul: 1 },
    after: { Conv2D: 35, DepthwiseConv2dNative: 17, AddV2: 10, AvgPool: 1, MatMul: 1 },
    actions: { 'unfuse-tfjs-ops': 53 },
  },
};

function countBy<T>(items: T[], key: (t: T) => string): Counts {
  const out: Counts = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}

/** Nodes nothing reads (besides constants): the model's outputs. */
function outputsOf(graph: Graph): string[] {
  return graph.nodes().filter((n) => n.op !== 'Const' && graph.dataConsumersOfNode(n.name).length === 0).map((n) => n.name);
}

describe.each(Object.entries(EXPECTED))('%s', (_model, expected) => {
  test('candidates by op before and after prepareGraph; outputs unchanged', async () => {
    const graph = await loadGraph(expected.path());
    const before = findLayers(graph);
    expect(countBy(before, (l) => l.op)).toEqual(expected.before);
    expect(before.filter((l) => !l.quantizable)).toEqual([]);
    const outputs = outputsOf(graph);
    const original = graph.clone();

    const report = prepareGraph(graph);
    graph.validate();
    const after = findLayers(graph);
    expect(countBy(after, (l) => l.op)).toEqual(expected.after);
    expect(after.every((l) => l.quantizable)).toBe(true);
    expect(countBy(report.actions, (a) => a.pass)).toEqual(expected.actions);
    expect(report.skipped).toEqual([]);
    expect(report.renamedOutputs.size).toBe(0);
    expect(outputsOf(graph)).toEqual(outputs);
    // Layer names survive unfusing: every fused layer is still there under its name.
    const names = new Set(after.map((l) => l.name));
    for (const l of before.filter((c) => c.kind !== 'tensor')) expect(names.has(l.name)).toBe(true);

    expect(await compareGraphs(original, graph, outputs)).toBeLessThanOrEqual(1e-5);
  });
});
