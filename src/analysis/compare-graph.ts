/**
 * The one graph the accuracy tools run per batch. It holds:
 * - the prepared float model (the graph saveModel quantizes, still float);
 * - per layer, an isolated quantized copy: the layer node (and its BiasAdd) copied to
 *   read the float model's own input tensor, then given its Ascend ops by the very
 *   emitter saveModel uses (AscendQuant → op with INT8 weights → BiasAdd(int32 bias) →
 *   AscendDequant; AscendQuant → AscendAntiQuant for MaxPool/Add inputs);
 * - optionally the whole deployable INT8 graph, its nodes under a prefix, reading the
 *   same placeholders;
 * - an AmctErrorSums node per compared pair (float tensor, quantized tensor).
 * So one run per batch measures everything, and no activation ever leaves the backend.
 */
import { reciprocalFactors } from '../calib';
import { assert } from '../errors';
import { DataType, floatTensor, formatTensorName, Graph, parseTensorName, attr } from '../ir';
import type { NodeDef } from '../ir';
import { isGraphInput } from '../ir/placeholders';
import { emitAscend } from '../passes';
import type { LayerPlan } from '../passes';
import { ERROR_SUMS_OP } from '../runtime';

const ISOLATED_PREFIX = 'amct_isolated';
const INT8_PREFIX = 'amct_int8';
const COMPARE_PREFIX = 'amct_compare';

/** The float node whose value a layer's dequantized output restores. */
export function floatTail(plan: LayerPlan): string {
  return plan.bias?.biasAdd ?? plan.layer.name;
}

function copyNode(graph: Graph, node: NodeDef, name: string, inputs: string[]): string {
  return graph.addNode({ name: graph.uniqueName(name), op: node.op, inputs, device: node.device, attr: { ...node.attr } }).name;
}

/** A float Mul of `tensor` by a per-channel (last axis) constant; returns the Mul's name. */
export function addChannelScale(graph: Graph, name: string, tensor: string, scale: Float32Array): string {
  const k = graph.addConst(`${name}/scale`, floatTensor([scale.length], scale));
  return graph.addNode({ name: graph.uniqueName(name), op: 'Mul', inputs: [tensor, k.name], attr: { T: attr.type(DataType.DT_FLOAT) } }).name;
}

/**
 * Adds an isolated quantized copy of every planned layer to `graph` (the prepared float
 * graph the plans were made on). A layer the DMQ balancer balances (`balanceFactors`, by
 * layer) reads x/s, as in the deployable graph: its weights and activation scale are
 * those of the balanced input. Returns, per layer name, the tensor that holds the copy's
 * float-comparable output.
 */
export function addIsolatedCopies(graph: Graph, plans: readonly LayerPlan[], balanceFactors: ReadonlyMap<string, Float32Array> = new Map()): Map<string, string> {
  const copies: LayerPlan[] = [];
  const tailOf = new Map<string, string>(); // copy's tail → layer
  for (const plan of plans) {
    const node = graph.getNode(plan.layer.name);
    const inputs = [...node.inputs];
    const s = balanceFactors.get(plan.layer.name);
    if (s) {
      const i = plan.activations[0].inputIndex;
      inputs[i] = addChannelScale(graph, `${ISOLATED_PREFIX}/${plan.layer.name}/dmq_balancer`, inputs[i], reciprocalFactors(s));
    }
    const copy = copyNode(graph, node, `${ISOLATED_PREFIX}/${plan.layer.name}`, inputs);
    let bias: LayerPlan['bias'];
    if (plan.bias) {
      const biasAdd = graph.getNode(plan.bias.biasAdd);
      bias = { ...plan.bias, biasAdd: copyNode(graph, biasAdd, `${copy}/BiasAdd`, [copy, ...biasAdd.inputs.slice(1)]) };
    }
    copies.push({ ...plan, layer: { ...plan.layer, name: copy }, bias });
    tailOf.set(bias?.biasAdd ?? copy, plan.layer.name);
  }
  const report = emitAscend(graph, copies, []);
  const out = new Map<string, string>();
  for (const [deq, tail] of report.dequantOf) out.set(tailOf.get(tail)!, deq);
  // Tensor quantization has no dequant: the copied op itself computes on the fake-quantized inputs.
  for (const c of copies) if (!c.deqScale) out.set(tailOf.get(c.layer.name)!, c.layer.name);
  assert(out.size === plans.length, 'every isolated copy has an output');
  return out;
}

/** A prefix no node of `graph` starts with. */
function freePrefix(graph: Graph, base: string): string {
  let prefix = base;
  for (let i = 1; graph.nodes().some((n) => n.name.startsWith(`${prefix}/`)); i++) prefix = `${base}_${i}`;
  return prefix;
}

export interface MergedGraph {
  graph: Graph;
  /** Name of a tensor of the INT8 graph inside the merged graph. */
  int8Tensor(name: string): string;
}

/**
 * `float` plus every node of `int8` under a prefix; placeholders are shared, so one feed
 * drives both models.
 */
export function mergeInt8(float: Graph, int8: Graph): MergedGraph {
  const prefix = freePrefix(float, INT8_PREFIX);
  const shared = new Set(int8.nodes().filter(isGraphInput).map((n) => n.name));
  for (const name of shared) assert(float.has(name), `placeholder ${name} is in the float graph`);
  const rename = (node: string) => (shared.has(node) ? node : `${prefix}/${node}`);
  const renameTensor = (t: string) => {
    const ref = parseTensorName(t);
    return formatTensorName({ node: rename(ref.node), index: ref.index });
  };
  const added = int8.nodes().filter((n) => !shared.has(n.name)).map((n): NodeDef => ({
    ...n,
    name: rename(n.name),
    inputs: n.inputs.map(renameTensor),
    controlInputs: n.controlInputs.map(rename),
    attr: { ...n.attr },
  }));
  const graph = new Graph([...float.nodes(), ...added], { ...float.meta });
  return { graph, int8Tensor: renameTensor };
}

/** Adds an AmctErrorSums node comparing `reference` with `test`; returns its name. */
export function addComparison(graph: Graph, label: string, reference: string, test: string): string {
  // A ":" would make the node's own name read as "node:index" (outputs are named "out:0").
  const name = `${COMPARE_PREFIX}/${label.replace(/:/g, '_')}`;
  return graph.addNode({ name: graph.uniqueName(name), op: ERROR_SUMS_OP, inputs: [reference, test] }).name;
}
