/**
 * Checks at Session.create for node inputs that tfjs's kernels do not validate and that
 * would make them read memory they do not own. tfjs's BatchNorm kernels index scale,
 * offset, mean and variance modulo their length: an empty one makes the wasm kernel
 * divide by zero or read outside the tensor (after which every wasm session in the
 * process computes garbage), and one of the wrong length silently mixes channels. TF
 * requires all four to be vectors of the channel count.
 */
import { SessionError } from '../errors';
import { attrShape, attrString, parseTensorName } from '../ir';
import type { Graph, NodeDef } from '../ir';

const BATCH_NORM_OPS = new Set(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3']);
const BATCH_NORM_INPUTS = ['scale', 'offset', 'mean', 'variance'];

/** The Const behind a tensor, looking through Identity nodes (frozen graphs put one there). */
export function constBehind(graph: Graph, tensor: string): NodeDef | undefined {
  let node = graph.node(parseTensorName(tensor).node);
  for (let hops = 0; node && node.op === 'Identity' && node.inputs.length > 0 && hops < 64; hops++) node = graph.node(parseTensorName(node.inputs[0]).node);
  return node?.op === 'Const' ? node : undefined;
}

function constDims(node: NodeDef): number[] | undefined {
  const value = node.attr.value;
  return value?.kind === 'tensor' ? value.value.shape.dims : undefined;
}

/** The channel count of x when it is a Placeholder of known shape, else undefined. */
function knownChannels(graph: Graph, node: NodeDef): number | undefined {
  const x = graph.node(parseTensorName(node.inputs[0] ?? '').node);
  const dims = x && (x.op === 'Placeholder' || x.op === 'PlaceholderV2') ? attrShape(x, 'shape')?.dims : undefined;
  if (!dims || dims.length < 2) return undefined;
  const c = attrString(node, 'data_format', 'NHWC').startsWith('NC') ? dims[1] : dims[dims.length - 1];
  return c >= 0 ? c : undefined;
}

function badBatchNorm(node: NodeDef, problem: string): SessionError {
  return new SessionError('INVALID_GRAPH', `${node.op} node ${node.name}: ${problem}`, {
    node: node.name,
    hint: 'scale, offset, mean and variance must each be a vector with one value per channel; the model file is damaged or was edited wrongly',
  });
}

export function checkBatchNormParams(graph: Graph): void {
  for (const node of graph.nodes()) {
    if (!BATCH_NORM_OPS.has(node.op)) continue;
    if (node.inputs.length < 5) throw badBatchNorm(node, `has ${node.inputs.length} inputs, needs 5 (x, ${BATCH_NORM_INPUTS.join(', ')})`);
    const sizes: number[] = [];
    BATCH_NORM_INPUTS.forEach((role, i) => {
      const c = constBehind(graph, node.inputs[i + 1]);
      const dims = c && constDims(c);
      if (!dims) return; // computed at run time: nothing to check here
      const n = dims.reduce((a, b) => a * b, 1);
      if (dims.length !== 1 || n === 0) throw badBatchNorm(node, `${role} (${c!.name}) has shape [${dims.join(', ')}], not a non-empty vector`);
      sizes.push(n);
    });
    const channels = knownChannels(graph, node);
    const expected = channels ?? sizes[0];
    if (sizes.some((n) => n !== expected)) {
      throw badBatchNorm(node, `${BATCH_NORM_INPUTS.join('/')} have ${sizes.join('/')} values${channels !== undefined ? `, but the input has ${channels} channels` : '; they must be equal'}`);
    }
  }
}
