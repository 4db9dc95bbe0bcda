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

const isMerge = (op: string) => op === 'Merge' || op === 'RefMerge';

/**
 * Nodes so that every node comes after its inputs (Kahn's algorithm, stable in GraphDef
 * order). A cycle is a GraphError naming the nodes on it; so is an input no node
 * produces (it can never be ready). Linear in nodes + edges, on integer indices: a
 * chain of 100,000 nodes takes no more per node than one of 1,000.
 */
export function topologicalOrder(graph: Graph): NodeDef[] {
  const nodes = graph.nodes();
  const index = new Map<string, number>();
  nodes.forEach((n, i) => index.set(n.name, i));
  const pending = new Int32Array(nodes.length);
  const readers: (number[] | undefined)[] = new Array(nodes.length);
  const dependOn = (reader: number, producer: string) => {
    const p = index.get(producer);
    pending[reader]++; // a missing producer is never ready: reported below with the cycle nodes
    if (p !== undefined) (readers[p] ??= []).push(reader);
  };
  nodes.forEach((node, i) => {
    for (const input of node.inputs) {
      const producer = parseTensorName(input).node;
      // Back edges of TF1 while loops (NextIteration into Merge) are not dataflow cycles.
      if (isMerge(node.op) && LOOP_BACK_EDGE_OPS.has(graph.node(producer)?.op ?? '')) continue;
      dependOn(i, producer);
    }
    for (const c of node.controlInputs) dependOn(i, c);
  });
  const queue = new Int32Array(nodes.length);
  let tail = 0;
  for (let i = 0; i < nodes.length; i++) if (pending[i] === 0) queue[tail++] = i;
  for (let head = 0; head < tail; head++) {
    for (const r of readers[queue[head]] ?? []) if (--pending[r] === 0) queue[tail++] = r;
  }
  if (tail !== nodes.length) {
    const stuck = nodes.filter((_, i) => pending[i] > 0).map((n) => n.name);
    throw new GraphError('GRAPH_CYCLE', `the graph has a cycle through ${stuck.slice(0, 10).join(', ')}${stuck.length > 10 ? ', ...' : ''}`, {
      node: stuck[0],
      hint: 'a frozen inference graph must be acyclic (only NextIteration may close a loop)',
    });
  }
  return Array.from(queue, (i) => nodes[i]);
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
