/**
 * tfjs's errors rarely say which node failed ("Size(4) must match the product of shape
 * 3,3"). After a failed run we replay the needed part of the graph one node at a time,
 * feeding each node the outputs computed before it, and the first node that throws is
 * the one to name. Only for plain graphs: replaying control flow node by node is not
 * meaningful, and custom kernels may have effects (calibration statistics) that must not
 * happen twice.
 */
import { parseTensorName } from '../ir';
import type { Graph, NodeDef } from '../ir';
import { converter, tf } from './tfjs';

type Model = ReturnType<typeof converter.loadGraphModelSync>;

/** Nodes the fetches depend on, not cut off by feeds, in topological order. */
function neededNodes(graph: Graph, fetchNodes: string[], fedNodes: Set<string>): NodeDef[] {
  const needed = new Set<string>();
  const stack = [...fetchNodes];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (needed.has(name) || fedNodes.has(name)) continue;
    needed.add(name);
    for (const input of graph.getNode(name).inputs) stack.push(parseTensorName(input).node);
  }
  return graph.topologicalOrder().filter((n) => needed.has(n.name));
}

/** Output names of `node` that some needed node (or a fetch) reads. */
function usedOutputs(node: NodeDef, readers: NodeDef[], fetches: string[]): string[] {
  const used = new Set<string>();
  for (const r of readers) for (const input of r.inputs) {
    const ref = parseTensorName(input);
    if (ref.node === node.name) used.add(`${ref.node}:${ref.index}`);
  }
  for (const f of fetches) if (parseTensorName(f).node === node.name) used.add(f);
  return used.size > 0 ? [...used] : [`${node.name}:0`];
}

/** The name of the first node that fails when run alone, or undefined. */
export function locateFailingNode(model: Model, graph: Graph, feeds: Record<string, tf.Tensor>, fetches: string[]): string | undefined {
  const fedNodes = new Set(Object.keys(feeds).map((k) => parseTensorName(k).node));
  const order = neededNodes(graph, fetches.map((f) => parseTensorName(f).node), fedNodes);
  const computed: Record<string, tf.Tensor> = {};
  const made: tf.Tensor[] = [];
  try {
    for (const node of order) {
      if (node.op === 'Const') continue; // weights: tfjs supplies them itself
      const inputs: Record<string, tf.Tensor> = {};
      for (const input of node.inputs) {
        const ref = parseTensorName(input);
        const key = `${ref.node}:${ref.index}`;
        const value = feeds[key] ?? computed[key];
        if (value) inputs[key] = value;
      }
      const names = usedOutputs(node, order, fetches);
      try {
        const out = model.execute(inputs, names);
        const list = Array.isArray(out) ? out : [out];
        names.forEach((n, i) => (computed[n] = list[i]));
        made.push(...list.filter((t) => t !== undefined));
      } catch {
        return node.name;
      }
    }
    return undefined;
  } finally {
    tf.dispose(made);
  }
}
