/**
 * inspectModel: what a user needs to know before quantizing a graph they did not build:
 * the names to feed (inputs), the names to fetch (outputs), and which layers amct-ts will
 * quantize and why the others not. `amct-ts inspect --model FILE` prints it.
 *
 * Layers come from the same preparation createQuantConfig runs (tfjs fused ops split,
 * BN/Mul/Add folded), on a clone: the names listed are the ones a config uses, and the
 * caller's graph is left as it was.
 */
import { ConfigError } from '../errors';
import { attrShape, DataType, dtypeName, Graph } from '../ir';
import type { NodeDef } from '../ir';
import { INPUT_OPS } from '../ir/placeholders';
import { findLayers, prepareGraph } from '../passes';
import type { LayerKind } from '../passes/layer-types';

export interface InspectOptions {
  /** Inspect the layers as a config with this do_fusion would see them (default true, AMCT's default). */
  doFusion?: boolean;
}

/** A graph input or output. `shape` has -1 for unknown sizes; absent when the rank is unknown. */
export interface InspectedTensor {
  /** Node name: the key of a feed, or the name to fetch. */
  name: string;
  op: string;
  /** TensorFlow dtype name, e.g. "DT_FLOAT"; absent when the node does not declare it. */
  dtype?: string;
  shape?: number[];
}

/** An entry of a TensorFlow.js model.json signature (a saved model's serving signature). */
export interface SignatureTensor {
  /** The signature's key, e.g. "output_0". */
  key: string;
  /** The tensor it maps to, e.g. "Identity:0": fetch this name. */
  name: string;
  dtype?: string;
  shape?: number[];
}

export interface InspectedLayer {
  name: string;
  op: string;
  kind: LayerKind;
}

export interface SkippedLayer {
  name: string;
  op: string;
  /** Why amct-ts cannot quantize it, in words a user can act on. */
  reason: string;
}

export interface ModelInspection {
  /** Placeholders: feed these. */
  inputs: InspectedTensor[];
  /** Sinks of the graph (nodes nothing reads): the usual outputs to fetch. */
  outputs: InspectedTensor[];
  /** A TensorFlow.js model.json's signature, when it has one. */
  signature?: { inputs: SignatureTensor[]; outputs: SignatureTensor[] };
  /** Layers createQuantConfig lists as quantizable, in graph order. */
  quantizable: InspectedLayer[];
  /** Layer ops amct-ts knows but cannot quantize here, with the reason. */
  notQuantizable: SkippedLayer[];
  /** Node count and op histogram of the graph as loaded. */
  nodeCount: number;
  ops: Record<string, number>;
}

/** Nodes that end a chain without being a result anyone fetches. */
const NOT_OUTPUTS = new Set(['NoOp', 'Const', 'Assert', 'SaveV2', 'RestoreV2', ...INPUT_OPS]);
const DTYPE_ATTRS = ['dtype', 'T', 'out_type', 'DstT', 'Tout'];

function dtypeOf(node: NodeDef): string | undefined {
  for (const name of DTYPE_ATTRS) {
    const a = node.attr[name];
    if (a?.kind === 'type') return dtypeName(a.value);
  }
  return undefined;
}

function shapeOf(node: NodeDef): number[] | undefined {
  const declared = attrShape(node, 'shape');
  if (declared && !declared.unknownRank) return [...declared.dims];
  const listed = node.attr._output_shapes;
  if (listed?.kind === 'list' && listed.value.shape?.[0] && !listed.value.shape[0].unknownRank) return [...listed.value.shape[0].dims];
  return undefined;
}

function describeNode(node: NodeDef): InspectedTensor {
  const t: InspectedTensor = { name: node.name, op: node.op };
  const dtype = dtypeOf(node);
  if (dtype !== undefined) t.dtype = dtype;
  const shape = shapeOf(node);
  if (shape !== undefined) t.shape = shape;
  return t;
}

function sinks(graph: Graph): NodeDef[] {
  return graph.nodes().filter((n) => !NOT_OUTPUTS.has(n.op) && graph.dataConsumersOfNode(n.name).length === 0 && graph.controlDependents(n.name).length === 0);
}

interface RawSignatureTensor {
  name?: unknown;
  dtype?: unknown;
  tensorShape?: { dim?: { size?: unknown }[]; unknownRank?: unknown };
}

function signatureTensors(entries: unknown): SignatureTensor[] {
  if (!entries || typeof entries !== 'object') return [];
  return Object.entries(entries as Record<string, RawSignatureTensor>).map(([key, raw]) => {
    const t: SignatureTensor = { key, name: typeof raw?.name === 'string' ? raw.name : key };
    if (typeof raw?.dtype === 'string') t.dtype = raw.dtype;
    else if (typeof raw?.dtype === 'number') t.dtype = dtypeName(raw.dtype as DataType);
    const dims = raw?.tensorShape?.dim;
    if (Array.isArray(dims) && raw.tensorShape?.unknownRank !== true) t.shape = dims.map((d) => Number(d?.size ?? -1));
    return t;
  });
}

function signatureOf(graph: Graph): ModelInspection['signature'] {
  const sig = graph.meta.tfjs?.signature as { inputs?: unknown; outputs?: unknown } | undefined;
  if (!sig || typeof sig !== 'object') return undefined;
  return { inputs: signatureTensors(sig.inputs), outputs: signatureTensors(sig.outputs) };
}

function histogram(graph: Graph): Record<string, number> {
  const ops: Record<string, number> = {};
  for (const n of graph.nodes()) ops[n.op] = (ops[n.op] ?? 0) + 1;
  return Object.fromEntries(Object.entries(ops).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Inputs, outputs and quantizable layers of `graph`; the graph itself is not changed. */
export function inspectModel(graph: Graph, options: InspectOptions = {}): ModelInspection {
  if (!(graph instanceof Graph)) {
    throw new ConfigError('INVALID_ARGUMENT', 'inspectModel needs a Graph', { hint: 'load one with loadGraph(path)' });
  }
  const prepared = graph.clone();
  prepareGraph(prepared, { doFusion: options.doFusion ?? true });
  const layers = findLayers(prepared);
  const result: ModelInspection = {
    inputs: graph.nodes().filter((n) => INPUT_OPS.has(n.op)).map(describeNode),
    outputs: sinks(graph).map(describeNode),
    quantizable: layers.filter((l) => l.quantizable).map((l) => ({ name: l.name, op: l.op, kind: l.kind })),
    notQuantizable: layers.filter((l) => !l.quantizable).map((l) => ({ name: l.name, op: l.op, reason: l.reason ?? 'not quantizable' })),
    nodeCount: graph.size,
    ops: histogram(graph),
  };
  const signature = signatureOf(graph);
  if (signature) result.signature = signature;
  return result;
}
