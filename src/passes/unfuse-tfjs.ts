/**
 * Splits the TensorFlow.js fused ops (_FusedConv2D, FusedDepthwiseConv2dNative,
 * _FusedMatMul) into plain Conv2D / DepthwiseConv2dNative / MatMul + BiasAdd (or
 * FusedBatchNormV3) + activation, so the quantizer sees the ops SPEC §6 describes.
 *
 * The plain op keeps the fused node's name: it is the layer name users put in configs and
 * records. The last node of the new chain takes over the fused node's readers. A fused
 * node nobody read was probably a graph output; its value is now at the chain's end, and
 * the context's renamedOutputs says so.
 */
import { attr, attrFloat, DataType } from '../ir';
import type { AttrValue, Graph, NodeDef } from '../ir';
import { planUnfuse, PLAIN_OP } from './fused-ops';
import type { UnfusePlan } from './fused-ops';
import { isChannelsFirst } from './op-table';
import { renameOutput, Reporter } from './pass';
import type { GraphPass, PassContext, PassReport } from './pass';

/** Attributes only the fused op has. */
const FUSED_ONLY_ATTRS = new Set(['fused_ops', 'num_args', 'epsilon', 'leakyrelu_alpha']);

export const unfuseTfjsOps: GraphPass = {
  name: 'unfuse-tfjs-ops',
  run(graph: Graph, ctx: PassContext): PassReport {
    const r = new Reporter(this.name);
    for (const { name, op } of graph.nodes()) {
      if (PLAIN_OP[op] === undefined) continue;
      const node = graph.getNode(name);
      const plan = planUnfuse(node);
      if (typeof plan === 'string') {
        r.skip(name, name, plan);
        continue;
      }
      const made = unfuse(graph, node, plan, ctx);
      r.did(name, [name], `split ${op} into ${made.map((n) => graph.getNode(n).op).join(' + ')}`);
    }
    return r.report;
  },
};

/** Returns the names of the chain's nodes, plain op first. */
function unfuse(graph: Graph, node: NodeDef, plan: UnfusePlan, ctx: PassContext): string[] {
  const name = node.name;
  const readers = graph.dataConsumersOfNode(name);
  const dependents = graph.controlDependents(name);
  const T = node.attr.T ?? attr.type(DataType.DT_FLOAT);
  const dataFormat = attr.str(isChannelsFirst(node) ? 'NCHW' : 'NHWC');
  graph.replaceNode(name, { op: plan.plainOp, inputs: node.inputs.slice(0, 2), attr: plainAttrs(node) });
  const chain = [name];
  const append = (suffix: string, op: string, inputs: string[], attrs: Record<string, AttrValue>) => {
    const added = graph.addNode({ name: graph.uniqueName(`${name}/${suffix}`), op, inputs: [chain[chain.length - 1], ...inputs], device: node.device, attr: attrs });
    chain.push(added.name);
  };
  if (plan.extra === 'bias') append('BiasAdd', 'BiasAdd', [node.inputs[2]], { T, data_format: dataFormat });
  if (plan.extra === 'batchnorm') append('FusedBatchNorm', 'FusedBatchNormV3', node.inputs.slice(2, 6), batchNormAttrs(node, T, dataFormat));
  if (plan.activation) {
    const alpha = plan.alphaInput === undefined ? [] : [node.inputs[plan.alphaInput]];
    append(plan.activation, plan.activation, alpha, activationAttrs(node, plan.activation, T));
  }
  const last = chain[chain.length - 1];
  for (const reader of readers) graph.replaceInput(reader.node.name, reader.inputIndex, last);
  for (const d of dependents) graph.setControlInputs(d.name, d.controlInputs.map((c) => (c === name ? last : c)));
  if (readers.length === 0 && last !== name) renameOutput(ctx, name, last);
  for (const n of chain) ctx.origins.record(n, [name]);
  return chain;
}

function plainAttrs(node: NodeDef): Record<string, AttrValue> {
  return Object.fromEntries(Object.entries(node.attr).filter(([k]) => !FUSED_ONLY_ATTRS.has(k)));
}

/** Inference-mode BN with the fused op's epsilon; the BN fold pass may then fold it. */
function batchNormAttrs(node: NodeDef, T: AttrValue, dataFormat: AttrValue): Record<string, AttrValue> {
  return {
    T,
    U: attr.type(DataType.DT_FLOAT),
    epsilon: attr.float(attrFloat(node, 'epsilon', 0.0001)),
    is_training: attr.bool(false),
    data_format: dataFormat,
  };
}

function activationAttrs(node: NodeDef, op: string, T: AttrValue): Record<string, AttrValue> {
  // 0.2 is the default of both TF's LeakyRelu and tfjs-converter's leakyrelu_alpha.
  if (op === 'LeakyRelu') return { T, alpha: attr.float(attrFloat(node, 'leakyrelu_alpha', 0.2)) };
  return { T };
}
