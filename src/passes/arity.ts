/**
 * Input counts the passes rely on. A file may hold a Conv2D with one input or a
 * FusedBatchNormV3 with three (TensorFlow would refuse to run it); the passes index
 * inputs by position, so such a node is reported here, before any pass, as a typed
 * error naming it, rather than failing inside a pass.
 */
import { GraphError } from '../errors';
import type { Graph } from '../ir';
import { OP_TABLE } from './op-table';

/** Ops the fusion passes read besides the layers of the op table. */
const FUSIBLE_ARITY: Record<string, number> = {
  Mul: 2, Add: 2, AddV2: 2, BiasAdd: 2, Sub: 2, RealDiv: 2, Reshape: 2,
  FusedBatchNorm: 5, FusedBatchNormV2: 5, FusedBatchNormV3: 5, Identity: 1,
};

let arity: Map<string, number> | undefined;

function minimumInputs(): Map<string, number> {
  if (arity) return arity;
  arity = new Map(Object.entries(FUSIBLE_ARITY));
  for (const row of OP_TABLE.values()) {
    const positions = [...row.dataInputs, ...(row.weight ? [row.weight.input] : [])];
    const needed = positions.length > 0 ? Math.max(...positions) + 1 : 0;
    arity.set(row.op, Math.max(arity.get(row.op) ?? 0, needed));
  }
  return arity;
}

/** Throws INVALID_GRAPH for the first node with fewer data inputs than its op has. */
export function checkArity(graph: Graph): void {
  const table = minimumInputs();
  for (const node of graph.nodes()) {
    const needed = table.get(node.op);
    if (needed !== undefined && node.inputs.length < needed) {
      throw new GraphError('INVALID_GRAPH', `node ${node.name} (${node.op}) has ${node.inputs.length} data input${node.inputs.length === 1 ? '' : 's'}; ${node.op} takes at least ${needed}`, {
        node: node.name,
        hint: 'the graph is malformed (TensorFlow could not run it either); re-export the model',
      });
    }
  }
}
