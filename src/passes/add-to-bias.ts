/**
 * Add/AddV2 of a constant along the output channels right after a conv or MatMul becomes
 * that layer's BiasAdd (SPEC §2); an existing BiasAdd is merged into it (b' = b + c).
 * The constant may be one value per channel ([C], [1,1,1,C] in NHWC, [1,C,1,1] in NCHW)
 * or a single value broadcast to every channel. The Add node becomes the BiasAdd under the
 * same name, so its readers are untouched.
 */
import type { Graph, NodeDef } from '../ir';
import { constValue, isFloat32 } from './graph-utils';
import { becomeBias, biasValues, chainAndConstant, checkFold } from './layer-chain';
import type { LayerChain } from './layer-chain';
import { Reporter } from './pass';
import type { GraphPass, PassContext, PassReport } from './pass';
import { channelVector } from './weights';

export const addToBias: GraphPass = {
  name: 'add-to-bias',
  run(graph: Graph, ctx: PassContext): PassReport {
    const r = new Reporter(this.name);
    for (const { name, op } of graph.nodes()) {
      if ((op !== 'Add' && op !== 'AddV2') || !graph.has(name)) continue;
      const add = graph.getNode(name);
      const match = chainAndConstant(graph, add, 'Add');
      if (!match) continue;
      const reason = convert(graph, add, match.chain, match.constant, ctx);
      if (reason) r.skip(match.chain.layer.name, name, reason);
      else r.did(match.chain.layer.name, [name], `${op} of a constant became the BiasAdd of ${match.chain.layer.op}`);
    }
    return r.report;
  },
};

/** Converts and returns undefined, or returns why not (the graph is then untouched). */
function convert(graph: Graph, add: NodeDef, chain: LayerChain, constant: string, ctx: PassContext): string | undefined {
  const w = checkFold(graph, chain, add, ctx);
  if (typeof w === 'string') return w;
  const value = constValue(graph, constant)!;
  if (!isFloat32(value)) return `the constant added by ${add.name} is not float32`;
  const v = channelVector(value, w.channels.count, w.out.rank, w.out.axis);
  if (typeof v === 'string') return `${v}, so ${add.name} cannot become a bias`;
  const b = biasValues(graph, chain, w.channels.count);
  becomeBias(graph, chain, add, b.map((x, c) => x + v[c]), ctx);
  return undefined;
}
