/**
 * Folds Mul(Const W, Const scalar) on a layer's weight input into one Const (SPEC §2, the
 * "before" form of the scalar Mul fusion). Without it the weight would not come from a
 * Const and the layer could not be quantized. Only a scalar folds here: a tensor factor
 * would be an arbitrary elementwise product we would rather not guess the meaning of.
 */
import { floatTensor, numElements } from '../ir';
import type { Graph, NodeDef } from '../ir';
import { isFloat32, removeIfOrphaned, resolveConst } from './graph-utils';
import { opRow } from './op-table';
import type { OpRow } from './op-table';
import { Reporter } from './pass';
import type { GraphPass, PassContext, PassReport } from './pass';

export const foldWeightMul: GraphPass = {
  name: 'fold-weight-mul',
  run(graph: Graph, ctx: PassContext): PassReport {
    const r = new Reporter(this.name);
    for (const { name, op } of graph.nodes()) {
      const row = opRow(op);
      if (!row?.weight || !row.fusibleAfter.includes('Mul') || !graph.has(name)) continue;
      const layer = graph.getNode(name);
      const mul = graph.producerOf(layer.inputs[row.weight.input]);
      if (mul.op !== 'Mul' || mul.inputs.length !== 2) continue;
      const reason = foldInto(graph, layer, row, mul, ctx);
      if (reason === NO_MATCH) continue;
      if (reason) r.skip(name, mul.name, reason);
      else r.did(name, [mul.name], `folded scalar Mul on the ${row.weight.role} into the weight`);
    }
    return r.report;
  },
};

/** Not a Mul of two constants: nothing to fold and nothing to report. */
const NO_MATCH = Symbol('no match');

/** Folds and returns undefined, or returns why not (the graph is then untouched). */
function foldInto(graph: Graph, layer: NodeDef, row: OpRow, mul: NodeDef, ctx: PassContext): string | typeof NO_MATCH | undefined {
  const a = resolveConst(graph, mul.inputs[0], 'input 0', 'Mul');
  const b = resolveConst(graph, mul.inputs[1], 'input 1', 'Mul');
  if (!a.ok || !b.ok) return NO_MATCH; // not constant: discovery explains why the weight is not a Const
  if (ctx.skipFusionLayers.has(layer.name)) return `${layer.name} is in skip_fusion_layers`;
  const [w, s] = numElements(a.value.shape.dims) === 1 ? [b, a] : [a, b];
  if (numElements(s.value.shape.dims) !== 1) return `${mul.name} multiplies the ${row.weight!.role} by a non-scalar constant`;
  if (!isFloat32(w.value) || !isFloat32(s.value)) return `${mul.name} on the ${row.weight!.role} is not float32`;
  const factor = (s.value.data as Float32Array)[0];
  const values = (w.value.data as Float32Array).map((v) => v * factor);
  const c = graph.addConst(`${layer.name}/folded_weight`, floatTensor(w.value.shape.dims, values));
  graph.replaceInput(layer.name, row.weight!.input, c.name);
  ctx.origins.record(layer.name, [layer.name, mul.name]);
  removeIfOrphaned(graph, [mul.name]);
  return undefined;
}
