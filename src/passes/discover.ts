/**
 * Layer discovery (SPEC §2): every node whose op is in the op table becomes a
 * LayerCandidate, quantizable or not; the ones that are not say why in words a user can
 * act on. Run it on the prepared graph (see prepareGraph) so every entry point sees the
 * same layers.
 */
import { DataType, dtypeName } from '../ir';
import type { Graph, NodeDef } from '../ir';
import { isConstTensor, isFloat32, resolveConst } from './graph-utils';
import type { LayerCandidate } from './layer-types';
import { checkArity } from './arity';
import { LAYOUTS, OP_TABLE } from './op-table';
import type { OpRow, WeightLayout, WeightSpec } from './op-table';

export function findLayers(graph: Graph): LayerCandidate[] {
  checkArity(graph);
  const out: LayerCandidate[] = [];
  for (const node of graph.nodes()) {
    const row = OP_TABLE.get(node.op);
    if (row) out.push(finish(HANDLERS[row.handler](graph, node, row), [floatOnly(node)]));
  }
  return out;
}

/**
 * Index arithmetic (int32 Add, MaxPool on ints) shares op types with real layers; INT8
 * quantization only makes sense for float tensors.
 */
function floatOnly(node: NodeDef): string | undefined {
  const t = node.attr.T;
  if (t?.kind !== 'type' || t.value === DataType.DT_FLOAT) return undefined;
  return `${node.op} computes on ${dtypeName(t.value)} tensors; only float32 layers can be quantized`;
}

type Handler = (graph: Graph, node: NodeDef, row: OpRow) => LayerCandidate;

const HANDLERS: Record<OpRow['handler'], Handler> = {
  weighted: weightedLayer,
  batchmatmul: batchMatMulLayer,
  avgpool: (graph, node, row) => finish(base(node, row), [row.check?.(node)]),
  tensor: tensorLayer,
};

function base(node: NodeDef, row: OpRow): LayerCandidate {
  return { name: node.name, op: node.op, kind: row.kind, quantizable: true, channelWiseAllowed: row.channelWiseAllowed, dataInputs: [...row.dataInputs] };
}

/** The first reason wins: fixing it is the user's next step. */
function finish(c: LayerCandidate, reasons: (string | undefined)[]): LayerCandidate {
  const reason = reasons.find((r) => r !== undefined);
  return reason === undefined ? c : { ...c, quantizable: false, reason };
}

function weightedLayer(graph: Graph, node: NodeDef, row: OpRow): LayerCandidate {
  const spec = row.weight!;
  const c: LayerCandidate = { ...base(node, row), weightInput: spec.input, weightLayout: spec.layout };
  return finish(c, [missingInputs(node, row), row.check?.(node), describeWeight(graph, node, spec, c)]);
}

function missingInputs(node: NodeDef, row: OpRow): string | undefined {
  const needed = Math.max(...row.dataInputs, row.weight?.input ?? 0) + 1;
  return node.inputs.length < needed ? `${node.op} has ${node.inputs.length} inputs, expected at least ${needed}` : undefined;
}

/**
 * Fills the weight fields of `c` from the Const behind the weight input; returns why the
 * weight cannot be quantized, if so.
 */
function describeWeight(graph: Graph, node: NodeDef, spec: WeightSpec, c: LayerCandidate): string | undefined {
  if (node.inputs.length <= spec.input) return undefined; // reported by missingInputs
  const src = resolveConst(graph, node.inputs[spec.input], spec.role, node.op);
  if (!src.ok) return src.reason;
  c.weightConst = src.node.name;
  const dims = src.value.shape.dims;
  const layout = LAYOUTS[spec.layout];
  if (dims.length !== layout.rank) return `${spec.role} of ${node.op} has shape [${dims.join(',')}], expected ${layout.rank} dimensions (${spec.layout})`;
  c.weightChannelAxis = layout.scaleAxis;
  c.outputChannels = dims[layout.scaleAxis];
  if (spec.layout === 'HWCM') c.channelMultiplier = dims[3];
  if (!isFloat32(src.value)) return `${spec.role} of ${node.op} is a ${dtypeName(src.value.dtype)} Const; only float32 weights can be quantized`;
  return undefined;
}

/** A constant 2-D second input is a weight (per-tensor); otherwise both inputs are activations. */
function batchMatMulLayer(graph: Graph, node: NodeDef, row: OpRow): LayerCandidate {
  const reasons = [missingInputs(node, row), row.check?.(node)];
  if (node.inputs.length < 2) return finish(base(node, row), reasons);
  const src = resolveConst(graph, node.inputs[1], 'second input', node.op);
  if (!src.ok || src.value.shape.dims.length !== 2) return finish({ ...base(node, row), kind: 'batchmatmul_act' }, reasons);
  const spec: WeightSpec = { input: 1, role: 'second input', layout: 'KN' as WeightLayout };
  const c: LayerCandidate = { ...base(node, row), kind: 'batchmatmul_weight', dataInputs: [0], weightInput: 1, weightLayout: 'KN' };
  return finish(c, [...reasons, describeWeight(graph, node, spec, c)]);
}

/** Tensor quantization: every input that is not a constant is quantized. */
function tensorLayer(graph: Graph, node: NodeDef, row: OpRow): LayerCandidate {
  const dataInputs = node.inputs.map((t, i) => (isConstTensor(graph, t) ? -1 : i)).filter((i) => i >= 0);
  const c = { ...base(node, row), dataInputs };
  const allConst = dataInputs.length === 0 ? `every input of ${node.op} is a constant; there is no activation to quantize` : undefined;
  return finish(c, [row.check?.(node), allConst]);
}
