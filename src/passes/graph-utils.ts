/** Small graph queries and clean-ups shared by discovery and the fusion passes. */
import { attrTensor, DataType, parseTensorName } from '../ir';
import type { Graph, NodeDef, TensorValue } from '../ir';

export type ConstSource =
  | { ok: true; node: NodeDef; value: TensorValue; via?: NodeDef }
  | { ok: false; reason: string };

/**
 * Follows a tensor to the Const that holds it, through one Identity at most.
 * Why one: a frozen TF1 graph reads each variable as Const → Identity ("…/read"); a longer
 * chain means the graph was not frozen/optimized, and we would rather say so than guess.
 * `role` and `owner` only word the reason ("filter of Conv2D comes from ...").
 */
export function resolveConst(graph: Graph, tensor: string, role: string, owner: string): ConstSource {
  const first = graph.producerOf(tensor);
  if (first.op === 'Const') return { ok: true, node: first, value: attrTensor(first) };
  if (first.op !== 'Identity') return { ok: false, reason: `${role} of ${owner} comes from ${first.op} ${first.name}, not a Const` };
  const second = graph.producerOf(first.inputs[0]);
  if (second.op === 'Const') return { ok: true, node: second, value: attrTensor(second), via: first };
  if (second.op === 'Identity') {
    return { ok: false, reason: `${role} of ${owner} passes through more than one Identity (${first.name}, ${second.name}); at most one is supported` };
  }
  return { ok: false, reason: `${role} of ${owner} comes from ${second.op} ${second.name} (through Identity ${first.name}), not a Const` };
}

/** The Const behind a tensor (through one Identity at most), or undefined. */
export function constValue(graph: Graph, tensor: string): TensorValue | undefined {
  const src = resolveConst(graph, tensor, 'input', 'node');
  return src.ok ? src.value : undefined;
}

export function isConstTensor(graph: Graph, tensor: string): boolean {
  return constValue(graph, tensor) !== undefined;
}

export function isFloat32(value: TensorValue): boolean {
  return value.dtype === DataType.DT_FLOAT;
}

/** True when `node` reads `producer`'s output 0 and nobody else reads any of its outputs. */
export function isSoleReader(graph: Graph, producer: NodeDef, node: NodeDef): boolean {
  const readers = graph.dataConsumersOfNode(producer.name);
  return readers.length === 1 && readers[0].node.name === node.name && parseTensorName(readers[0].node.inputs[readers[0].inputIndex]).index === 0;
}

/** Names of the nodes (other than `except`) reading any output of `producer`. */
export function otherReaders(graph: Graph, producer: NodeDef, except: NodeDef): string[] {
  return graph
    .dataConsumersOfNode(producer.name)
    .filter((c) => c.node.name !== except.name)
    .map((c) => c.node.name);
}

/** True when some node reads output `index > 0` of `node` (e.g. batch statistics of a BN). */
export function extraOutputsRead(graph: Graph, node: NodeDef): boolean {
  return graph.dataConsumersOfNode(node.name).some((c) => parseTensorName(c.node.inputs[c.inputIndex]).index > 0);
}

function isOrphan(graph: Graph, name: string): boolean {
  return graph.has(name) && graph.dataConsumersOfNode(name).length === 0 && graph.controlDependents(name).length === 0;
}

/**
 * Removes the named nodes once nothing reads them, then the Const/Identity nodes that only
 * fed them. Only nodes a pass has just disconnected are named, so a graph output (which
 * nothing reads either) is never touched unless the pass itself replaced it.
 */
export function removeIfOrphaned(graph: Graph, names: Iterable<string>): void {
  const pending = [...names];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (!isOrphan(graph, name)) continue;
    const feeders = graph.getNode(name).inputs.map((t) => parseTensorName(t).node);
    graph.removeNode(name);
    for (const f of feeders) {
      const op = graph.node(f)?.op;
      if (op === 'Const' || op === 'Identity') pending.push(f);
    }
  }
}
