/**
 * Folds a Mul by a constant that follows a conv/MatMul (+ BiasAdd) into the weights
 * (SPEC §2: "Mul by a constant scalar folds into the weights"). Besides a scalar we also
 * fold one value per output channel ([C], [1,1,1,C]): it is just as exact, and
 * converters emit it for decomposed batch norms (conv → Mul(γ') → Add(β')).
 * W'[…, c] = W[…, c]·s[c]; a bias is scaled too (b' = b·s). With a bias, the Mul becomes the
 * BiasAdd (same name); without one, the Mul disappears and its readers read the layer.
 */
import { parseTensorName } from '../ir';
import type { Graph, NodeDef } from '../ir';
import { constValue, isFloat32, removeIfOrphaned } from './graph-utils';
import { becomeBias, biasValues, chainAndConstant, checkFold, replaceWeight } from './layer-chain';
import type { LayerChain } from './layer-chain';
import { renameOutput, Reporter } from './pass';
import type { GraphPass, PassContext, PassReport } from './pass';
import { channelVector, scaleByChannel } from './weights';

export const foldMul: GraphPass = {
  name: 'fold-mul',
  run(graph: Graph, ctx: PassContext): PassReport {
    const r = new Reporter(this.name);
    for (const { name, op } of graph.nodes()) {
      if (op !== 'Mul' || !graph.has(name)) continue;
      const mul = graph.getNode(name);
      const match = chainAndConstant(graph, mul, 'Mul');
      if (!match) continue;
      const reason = foldMulInto(graph, mul, match.chain, match.constant, ctx);
      if (reason) r.skip(match.chain.layer.name, name, reason);
      else r.did(match.chain.layer.name, [name], `folded Mul by a constant into ${match.chain.layer.op} weights`);
    }
    return r.report;
  },
};

/** Folds and returns undefined, or returns why not (the graph is then untouched). */
function foldMulInto(graph: Graph, mul: NodeDef, chain: LayerChain, factor: string, ctx: PassContext): string | undefined {
  const w = checkFold(graph, chain, mul, ctx);
  if (typeof w === 'string') return w;
  const value = constValue(graph, factor)!;
  if (!isFloat32(value)) return `the constant factor of ${mul.name} is not float32`;
  const s = channelVector(value, w.channels.count, w.out.rank, w.out.axis);
  if (typeof s === 'string') return `${s}, so ${mul.name} cannot fold into the weights`;
  ctx.origins.record(chain.layer.name, [chain.layer.name, mul.name]);
  replaceWeight(graph, chain, scaleByChannel(w.values, w.channels, s), w.dims);
  if (chain.bias) {
    const b = biasValues(graph, chain, w.channels.count);
    becomeBias(graph, chain, mul, b.map((v, c) => v * s[c]), ctx);
    return undefined;
  }
  const hadReaders = graph.dataConsumersOfNode(mul.name).length > 0;
  graph.removeNode(mul.name, { 0: chain.layer.name });
  if (!hadReaders) renameOutput(ctx, mul.name, chain.layer.name);
  ctx.origins.drop(mul.name);
  removeIfOrphaned(graph, [parseTensorName(factor).node]);
  return undefined;
}
