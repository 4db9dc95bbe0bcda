/**
 * Folds an inference-mode FusedBatchNorm/V2/V3 that follows a conv (+ BiasAdd) into the
 * conv's weights and one bias (SPEC §2):
 *   k = γ/√(σ²+ε),  W'[…, c] = W[…, c]·k[c],  b' = (b − μ)·k + β.
 * For depthwise the C·M outputs are the channels (c·M + m); for Conv2DBackpropInput the
 * output channels are axis 2 of HWOI. The BN node becomes the BiasAdd (same name), so
 * whatever read BN output 0 keeps reading it.
 */
import { attrBool, attrFloat, toFloat32 } from '../ir';
import type { Graph, NodeDef } from '../ir';
import { extraOutputsRead, isFloat32, resolveConst } from './graph-utils';
import { becomeBias, biasValues, chainEndingAt, checkFold, replaceWeight } from './layer-chain';
import type { FoldableWeight, LayerChain } from './layer-chain';
import { isChannelsFirst } from './op-table';
import { Reporter } from './pass';
import type { GraphPass, PassContext, PassReport } from './pass';
import { scaleByChannel } from './weights';

const BN_OPS = new Set(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3']);
const PARAMS = ['scale', 'offset', 'mean', 'variance'];

export const foldBatchNorm: GraphPass = {
  name: 'fold-batchnorm',
  run(graph: Graph, ctx: PassContext): PassReport {
    const r = new Reporter(this.name);
    for (const { name, op } of graph.nodes()) {
      if (!BN_OPS.has(op) || !graph.has(name)) continue;
      const bn = graph.getNode(name);
      const chain = chainEndingAt(graph, bn.inputs[0], 'BatchNorm');
      if (!chain) continue; // a BN that does not follow a layer is not ours to fold
      const params = bnParams(graph, bn, chain, ctx);
      if (typeof params === 'string') {
        r.skip(chain.layer.name, name, params);
        continue;
      }
      fold(graph, bn, chain, params, ctx);
      r.did(chain.layer.name, [name], `folded ${op} into ${chain.layer.op} weights and bias`);
    }
    return r.report;
  },
};

interface BatchNormFold {
  weight: FoldableWeight;
  /** γ, β, μ, σ² */
  params: Float64Array[];
}

/** The weight and γ, β, μ, σ² as numbers, or why this BN cannot be folded. */
function bnParams(graph: Graph, bn: NodeDef, chain: LayerChain, ctx: PassContext): BatchNormFold | string {
  if (attrBool(bn, 'is_training', true)) return `${bn.op} ${bn.name} is in training mode (is_training is not false)`;
  if (extraOutputsRead(graph, bn)) return `outputs 1-5 (batch statistics) of ${bn.name} are read by other nodes`;
  if (isChannelsFirst(bn) !== isChannelsFirst(chain.layer)) return `data_format of ${bn.name} differs from that of ${chain.layer.name}`;
  if (bn.inputs.length < 5) return `${bn.name} has ${bn.inputs.length} inputs, expected 5`;
  const weight = checkFold(graph, chain, bn, ctx);
  if (typeof weight === 'string') return weight;
  const channels = weight.channels.count;
  const params: Float64Array[] = [];
  for (let i = 0; i < PARAMS.length; i++) {
    const src = resolveConst(graph, bn.inputs[i + 1], PARAMS[i], bn.op);
    if (!src.ok) return src.reason;
    if (!isFloat32(src.value) || src.value.data.length !== channels) return `${PARAMS[i]} of ${bn.name} is not ${channels} float32 values`;
    params.push(Float64Array.from(toFloat32(src.value)));
  }
  return { weight, params };
}

function fold(graph: Graph, bn: NodeDef, chain: LayerChain, { weight: w, params }: BatchNormFold, ctx: PassContext): void {
  const [gamma, beta, mean, variance] = params;
  const epsilon = attrFloat(bn, 'epsilon', 0.0001);
  const b = biasValues(graph, chain, w.channels.count);
  const k = gamma.map((g, c) => g / Math.sqrt(variance[c] + epsilon));
  const bias = b.map((v, c) => (v - mean[c]) * k[c] + beta[c]);
  ctx.origins.record(chain.layer.name, [chain.layer.name, bn.name]);
  replaceWeight(graph, chain, scaleByChannel(w.values, w.channels, k), w.dims);
  becomeBias(graph, chain, bn, bias, ctx);
}
