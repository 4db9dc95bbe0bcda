/**
 * The "layer [→ BiasAdd]" chain that the fusion passes fold things into, the checks they
 * share, and the two edits they make: a new weight Const and a new bias. New Consts are
 * always new nodes: the old Const may feed other nodes, and tensor data is shared with
 * clones of the graph.
 */
import { attr, DataType, floatTensor, parseTensorName, toFloat32 } from '../ir';
import type { Graph, NodeDef } from '../ir';
import { assert } from '../errors';
import { isConstTensor, isFloat32, isSoleReader, otherReaders, removeIfOrphaned, resolveConst } from './graph-utils';
import { isChannelsFirst, LAYOUTS, opRow, outputChannelAxis } from './op-table';
import type { FusibleOp, OpRow } from './op-table';
import type { PassContext } from './pass';
import { outputChannelLayout } from './weights';
import type { ChannelLayout } from './weights';

export interface LayerChain {
  layer: NodeDef;
  row: OpRow;
  /** The BiasAdd right after the layer, if any. */
  bias?: NodeDef;
  /** The chain's last node (bias ?? layer): what the next node reads. */
  tail: NodeDef;
}

/**
 * A binary node (Add, Mul) reading a layer chain and a constant, in either order: the
 * chain and the constant's tensor name, or undefined when the node is not that shape.
 */
export function chainAndConstant(graph: Graph, node: NodeDef, what: FusibleOp): { chain: LayerChain; constant: string } | undefined {
  if (node.inputs.length !== 2) return undefined;
  for (const i of [0, 1]) {
    const chain = chainEndingAt(graph, node.inputs[i], what);
    if (chain && isConstTensor(graph, node.inputs[1 - i])) return { chain, constant: node.inputs[1 - i] };
  }
  return undefined;
}

/** The layer (plus BiasAdd) that produces `tensor`, when `what` may be fused after it. */
export function chainEndingAt(graph: Graph, tensor: string, what: FusibleOp): LayerChain | undefined {
  if (parseTensorName(tensor).index !== 0) return undefined;
  const p = graph.producerOf(tensor);
  const direct = opRow(p.op);
  if (direct?.fusibleAfter.includes(what)) return { layer: p, row: direct, tail: p };
  if (p.op !== 'BiasAdd' || parseTensorName(p.inputs[0]).index !== 0) return undefined;
  const layer = graph.producerOf(p.inputs[0]);
  const row = opRow(layer.op);
  return row?.fusibleAfter.includes(what) && row.fusibleAfter.includes('BiasAdd') ? { layer, row, bias: p, tail: p } : undefined;
}

/** The weight as float32 values, with its dims and channel layout; or why it cannot be folded. */
export interface FoldableWeight {
  values: Float32Array;
  dims: number[];
  channels: ChannelLayout;
  /** Output tensor rank and channel axis, for checking broadcast constants. */
  out: { rank: number; axis: number };
}

/**
 * The layer's weight, ready to fold `node` (the BN/Add/Mul after the chain) into; or why
 * it must not be: skip_fusion_layers, other readers of the chain's outputs (they would
 * see the change), or a weight/bias that is not a float Const.
 */
export function checkFold(graph: Graph, chain: LayerChain, node: NodeDef, ctx: PassContext): FoldableWeight | string {
  if (ctx.skipFusionLayers.has(chain.layer.name) || ctx.skipFusionLayers.has(node.name)) return `${chain.layer.name} is in skip_fusion_layers`;
  if (chain.bias && !isSoleReader(graph, chain.layer, chain.bias)) {
    return `output of ${chain.layer.name} is also read by ${otherReaders(graph, chain.layer, chain.bias).join(', ')}`;
  }
  if (!isSoleReader(graph, chain.tail, node)) return `output of ${chain.tail.name} is also read by ${otherReaders(graph, chain.tail, node).join(', ')}`;
  const w = foldableWeight(graph, chain);
  if (typeof w === 'string' || !chain.bias) return w;
  const b = resolveConst(graph, chain.bias.inputs[1], 'bias', chain.bias.name);
  if (!b.ok) return b.reason;
  if (!isFloat32(b.value) || b.value.data.length !== w.channels.count) return `bias of ${chain.bias.name} is not ${w.channels.count} float32 values`;
  return w;
}

export function foldableWeight(graph: Graph, chain: LayerChain): FoldableWeight | string {
  const spec = chain.row.weight!;
  const src = resolveConst(graph, chain.layer.inputs[spec.input], spec.role, chain.layer.op);
  if (!src.ok) return src.reason;
  if (!isFloat32(src.value)) return `${spec.role} of ${chain.layer.name} is not float32`;
  const dims = src.value.shape.dims;
  if (dims.length !== LAYOUTS[spec.layout].rank) return `${spec.role} of ${chain.layer.name} has shape [${dims.join(',')}], expected ${spec.layout}`;
  return { values: src.value.data as Float32Array, dims, channels: outputChannelLayout(spec.layout, dims), out: outputChannelAxis(chain.layer, chain.row) };
}

/** The chain's bias values (zeros without a BiasAdd). Call after checkFold passed. */
export function biasValues(graph: Graph, chain: LayerChain, channels: number): Float64Array {
  if (!chain.bias) return new Float64Array(channels);
  const src = resolveConst(graph, chain.bias.inputs[1], 'bias', chain.bias.name);
  assert(src.ok, `bias of ${chain.bias.name} was checked by checkFold`);
  return Float64Array.from(toFloat32(src.value));
}

/** Points the layer at a new weight Const and drops the old one if nothing else reads it. */
export function replaceWeight(graph: Graph, chain: LayerChain, values: Float32Array, dims: number[]): void {
  const input = chain.row.weight!.input;
  const old = parseTensorName(chain.layer.inputs[input]).node;
  const c = graph.addConst(`${chain.layer.name}/folded_weight`, floatTensor(dims, values));
  graph.replaceInput(chain.layer.name, input, c.name);
  removeIfOrphaned(graph, [old]);
}

/**
 * Turns `absorbed` (the BN/Add/Mul that followed the chain) into the layer's only BiasAdd,
 * under the absorbed node's name so its readers and any fetch of it keep working; the
 * chain's old BiasAdd goes away, and the new BiasAdd stands for both in the origins.
 */
export function becomeBias(graph: Graph, chain: LayerChain, absorbed: NodeDef, bias: ArrayLike<number>, ctx: PassContext): void {
  const feeders = absorbed.inputs.map((t) => parseTensorName(t).node);
  const b = graph.addConst(`${chain.layer.name}/folded_bias`, floatTensor([bias.length], bias));
  const T = chain.layer.attr.T ?? attr.type(DataType.DT_FLOAT);
  const dataFormat = attr.str(isChannelsFirst(chain.layer) ? 'NCHW' : 'NHWC');
  graph.replaceNode(absorbed.name, { op: 'BiasAdd', inputs: [chain.layer.name, b.name], attr: { T, data_format: dataFormat } });
  const covers = chain.bias ? [chain.bias.name, absorbed.name] : [absorbed.name];
  ctx.origins.record(absorbed.name, covers);
  if (chain.bias) ctx.origins.drop(chain.bias.name);
  removeIfOrphaned(graph, feeders.filter((f) => f !== chain.layer.name));
}
