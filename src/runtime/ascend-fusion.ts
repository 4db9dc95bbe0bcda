/**
 * Chains of elementwise ops of the deployable graph (SPEC §6) run as one kernel pass:
 * [BiasAdd] → [AscendDequant] → [Relu | Relu6] → [AscendQuant] → [AscendAntiQuant], two or
 * more of them in this order (kernels/ascend-chain.ts; exact, see ascend-chain-loop.ts).
 *
 * Done in the session's private tfjs copy only, when it is created. The last node of a
 * chain is replaced by an ASCEND_CHAIN_OP node of the same name reading the chain's input,
 * so its consumers and fetches of it are unchanged. The other nodes of the chain stay in
 * the copy, read by nobody: tfjs runs only what the fetched tensors need, so they cost
 * nothing unless fetched, and fetching them still gives their own values.
 *
 * A node joins a chain only when the next one is its only reader (no second consumer, no
 * control edge), so no value is computed twice; constants (bias, deq_scale) must be
 * Consts (the folding in ascend-folding.ts runs first), and channels on the last axis.
 */
import { attr, attrFloat, attrInt, attrInts, attrString, attrType, canonicalTensorName, DataType, parseTensorName } from '../ir';
import type { Graph, NodeDef } from '../ir';
import { constValueBehind } from './ascend-folding';

export const ASCEND_CHAIN_OP = 'AmctAscendChain';
/** The names of the chain's nodes, in order, on the fused node. */
export const CHAIN_ATTR = '_amct_chain';

/** Ops the chain kernel runs faster than their own kernels even alone (one pass, not 1–8 ops); tfjs runs BiasAdd and Relu alone well. */
const SINGLE_STEPS = new Set(['AscendDequant', 'AscendQuant', 'AscendAntiQuant']);

/** Position of each op in a chain. */
const STEP_ORDER: Record<string, number> = { BiasAdd: 0, AscendDequant: 1, AddV2: 1.5, Add: 1.5, Relu: 2, Relu6: 2, AscendQuant: 3, AscendAntiQuant: 4 };
/** Two-input heads: a chain may start with a sum (a residual Add), never continue with one. */
const SUMS = new Set(['AddV2', 'Add']);
/** On a fused sum: the AscendAntiQuant nodes read in place of each input ('' where none). */
export const SUM_ANTI_ATTR = '_amct_sum_anti';

function channelsLast(node: NodeDef): boolean {
  return !attrString(node, 'data_format', 'NHWC').startsWith('NC');
}

function constValues(graph: Graph, tensor: string | undefined): number | undefined {
  return tensor === undefined ? undefined : constValueBehind(graph, tensor)?.data.length;
}

/** Whether the chain kernel can take this node's place exactly (else its own kernel runs, and reports bad attrs). */
function fusible(graph: Graph, node: NodeDef): boolean {
  if (!(node.op in STEP_ORDER) || node.controlInputs.length > 0 || node.inputs.length === 0) return false;
  if (attrType(node, 'T', DataType.DT_FLOAT) !== DataType.DT_FLOAT) return false;
  switch (node.op) {
    case 'BiasAdd':
      return node.inputs.length === 2 && channelsLast(node) && constValues(graph, node.inputs[1]) !== undefined;
    case 'AscendDequant': {
      const n = constValues(graph, node.inputs[1]);
      const k = attrInts(node, 'ksize', [1, 1]).reduce((a, b) => a * b, 1);
      return n !== undefined && (n === 1 || channelsLast(node)) && Number.isInteger(k) && k >= 1;
    }
    case 'AscendQuant': {
      const bits = attrInt(node, 'quant_bits', 8);
      return bits >= 2 && bits <= 16 && Number.isInteger(attrFloat(node, 'offset', 0)) && node.attr.scale !== undefined;
    }
    case 'AscendAntiQuant':
      return node.attr.scale !== undefined;
    case 'AddV2':
    case 'Add':
      return node.inputs.length === 2;
    default:
      return node.inputs.length === 1;
  }
}

/** The node reading `node`'s output when it is the only reader (data or control), else undefined. */
function onlyReader(graph: Graph, node: NodeDef): NodeDef | undefined {
  const readers = graph.dataConsumersOfNode(node.name);
  if (readers.length !== 1 || readers[0].inputIndex !== 0 || graph.controlDependents(node.name).length > 0) return undefined;
  const next = readers[0].node;
  return parseTensorName(next.inputs[0]).index === 0 ? next : undefined;
}

function follows(a: NodeDef, b: NodeDef): boolean {
  return !SUMS.has(b.op) && STEP_ORDER[b.op] > STEP_ORDER[a.op];
}

/**
 * The AscendAntiQuant a sum may read in place of its input `i`: one that only this sum reads
 * and that does not end a chain of its own (BlazeFace's residual input, AntiQuant(AscendQuant(Relu))).
 */
function absorbedAnti(graph: Graph, sum: NodeDef, i: number): NodeDef | undefined {
  const ref = parseTensorName(sum.inputs[i]);
  const anti = graph.node(ref.node);
  if (!anti || anti.op !== 'AscendAntiQuant' || ref.index !== 0 || !fusible(graph, anti) || continuesChain(graph, anti)) return undefined;
  const readers = graph.dataConsumersOfNode(anti.name);
  return readers.length === 1 && readers[0].node === sum && graph.controlDependents(anti.name).length === 0 ? anti : undefined;
}

/** The chain starting at `head`, as long as the order and the single readers allow. */
function chainFrom(graph: Graph, head: NodeDef): NodeDef[] {
  const chain = [head];
  for (;;) {
    const last = chain[chain.length - 1];
    const next = onlyReader(graph, last);
    if (!next || !fusible(graph, next) || !follows(last, next)) return chain;
    chain.push(next);
  }
}

/** Whether `node` would extend a chain that starts before it. */
function continuesChain(graph: Graph, node: NodeDef): boolean {
  const before = graph.node(parseTensorName(node.inputs[0]).node);
  return before !== undefined && fusible(graph, before) && follows(before, node) && onlyReader(graph, before) === node;
}

/**
 * AscendQuant nodes of one tensor with the same attributes compute the same values (saveModel
 * writes one per consumer: BlazeFace quantizes each block's Relu twice, for the depthwise conv
 * and for the residual Add). Their readers are pointed at the first one; the others become
 * Identity nodes of it, read by nobody, for fetches. Returns how many were merged. A merged
 * Relu → AscendQuant then has one reader and becomes a chain.
 */
function mergeDuplicateQuants(graph: Graph): number {
  const first = new Map<string, string>();
  let merged = 0;
  for (const node of graph.nodes()) {
    if (node.op !== 'AscendQuant' || node.inputs.length !== 1 || node.controlInputs.length > 0 || graph.controlDependents(node.name).length > 0) continue;
    const attrs = Object.keys(node.attr).filter((k) => !k.startsWith('_amct')).sort().map((k) => [k, node.attr[k]]);
    const key = JSON.stringify([canonicalTensorName(node.inputs[0]), attrs]);
    const kept = first.get(key);
    if (kept === undefined) {
      first.set(key, node.name);
    } else {
      // Readers go to the kept one; the duplicate becomes an Identity of it (same values when
      // fetched), so the tensor quantized has one reader left and can end a chain.
      graph.rewireConsumers(node.name, kept);
      graph.replaceNode(node.name, { op: 'Identity', inputs: [kept], controlInputs: [], attr: { T: attr.type(DataType.DT_FLOAT) } });
      merged++;
    }
  }
  return merged;
}

/**
 * Merges duplicate quantizers, then replaces every chain of two or more steps, and every
 * Ascend op alone, by an ASCEND_CHAIN_OP node; returns those nodes.
 */
export function fuseAscendChains(graph: Graph): NodeDef[] {
  mergeDuplicateQuants(graph);
  const chains = graph
    .nodes()
    .filter((n) => fusible(graph, n) && !continuesChain(graph, n))
    .map((head) => ({ chain: chainFrom(graph, head), anti: SUMS.has(head.op) ? [0, 1].map((i) => absorbedAnti(graph, head, i)) : [] }))
    // Only chains with an Ascend op: float graphs (BiasAdd → Relu, Add → Relu) stay on tfjs's ops.
    // and a sum only with a step after it or an AntiQuant absorbed.
    .filter(({ chain, anti }) => anti.some(Boolean) || (chain.some((n) => n.op.startsWith('Ascend')) && (chain.length >= 2 || SINGLE_STEPS.has(chain[0].op))));
  // Ascend ops inside a chain stay for fetches of them: they too run as one pass when fetched.
  const inside = chains.flatMap(({ chain }) => chain.slice(0, -1).filter((n) => SINGLE_STEPS.has(n.op)).map((n) => ({ chain: [n], anti: [] })));
  return [...chains, ...inside].map(({ chain, anti }) => {
    const last = chain[chain.length - 1];
    const head = chain[0];
    const params = chain.filter((n) => n.op === 'BiasAdd' || n.op === 'AscendDequant').map((n) => n.inputs[1]);
    const inputs = SUMS.has(head.op) ? head.inputs.map((t, i) => (anti[i] ? anti[i]!.inputs[0] : t)) : [head.inputs[0], ...params];
    const sum: NodeDef['attr'] = SUMS.has(head.op) ? { [SUM_ANTI_ATTR]: attr.strs(anti.map((a) => a?.name ?? '')) } : {};
    return graph.replaceNode(last.name, {
      op: ASCEND_CHAIN_OP,
      inputs,
      controlInputs: [],
      attr: { T: attr.type(DataType.DT_FLOAT), [CHAIN_ATTR]: attr.strs(chain.map((n) => n.name)), ...sum },
    });
  });
}
