/** Ordering and consistency checks of a Graph, through its public reading methods. */
import { GraphError } from '../errors';
import type { Graph } from './graph';
import type { NodeDef } from './types';
import { parseTensorName } from './tensor-name';

/**
 * Back edges of TF1 while loops: NextIteration feeds Merge. They are not cycles in the
 * dataflow sense, so topological order and cycle detection skip them.
 */
const LOOP_BACK_EDGE_OPS = new Set(['NextIteration', 'RefNextIteration']);

/** The nodes `node` must come after: its data and control inputs, minus loop back edges. */
function forwardDeps(graph: Graph, node: NodeDef): Set<string> {
  const deps = new Set<string>();
  for (const input of node.inputs) {
    const producer = parseTensorName(input).node;
    const p = graph.node(producer);
    if (p && LOOP_BACK_EDGE_OPS.has(p.op) && (node.op === 'Merge' || node.op === 'RefMerge')) continue;
    deps.add(producer);
  }
  for (const c of node.controlInputs) deps.add(c);
  return deps;
}

/**
 * Nodes so that every node comes after its inputs (Kahn's algorithm, stable in GraphDef
 * order). A cycle is a GraphError naming the nodes on it.
 */
export function topologicalOrder(graph: Graph): NodeDef[] {
  const nodes = graph.nodes();
  const deps = new Map(nodes.map((n) => [n.name, forwardDeps(graph, n)]));
  const dependents = new Map<string, string[]>();
  for (const [name, ds] of deps) for (const d of ds) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(name);
  const pending = new Map(nodes.map((n) => [n.name, deps.get(n.name)!.size]));
  const ready = nodes.filter((n) => pending.get(n.name) === 0).map((n) => n.name);
  const order: NodeDef[] = [];
  for (let head = 0; head < ready.length; head++) {
    order.push(graph.getNode(ready[head]));
    for (const reader of dependents.get(ready[head]) ?? []) {
      const left = pending.get(reader)! - 1;
      pending.set(reader, left);
      if (left === 0) ready.push(reader);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = [...pending].filter(([, c]) => c > 0).map(([n]) => n);
    throw new GraphError('GRAPH_CYCLE', `the graph has a cycle through ${stuck.slice(0, 10).join(', ')}${stuck.length > 10 ? ', ...' : ''}`, {
      node: stuck[0],
      hint: 'a frozen inference graph must be acyclic (only NextIteration may close a loop)',
    });
  }
  return order;
}

/** Throws a GraphError for the first problem: dangling inputs, then cycles (names are unique by construction). */
export function validateGraph(graph: Graph): void {
  for (const n of graph.nodes()) {
    for (const input of n.inputs) {
      if (!graph.has(parseTensorName(input).node)) {
        throw new GraphError('DANGLING_INPUT', `node ${n.name} reads "${input}", which no node produces`, {
          node: n.name,
          hint: 'the graph is incomplete; re-export it, or check that every input node was kept',
        });
      }
    }
    for (const c of n.controlInputs) {
      if (!graph.has(c)) {
        throw new GraphError('DANGLING_INPUT', `node ${n.name} has control input ^${c}, which does not exist`, {
          node: n.name,
          hint: 'the graph is incomplete; re-export it, or check that every input node was kept',
        });
      }
    }
  }
  topologicalOrder(graph);
}
