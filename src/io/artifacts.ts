/**
 * TensorFlow.js graph-model artifacts (model.json object + weight bytes) ⇄ Graph, in
 * memory. graphToArtifacts' result loads with tfjs-converter's
 * loadGraphModel(tf.io.fromMemory(artifacts)) / loadGraphModelSync(artifacts).
 */
import { FileFormatError } from '../errors';
import type { ErrorContext } from '../errors';
import { attr, DataType, numElements } from '../ir';
import type { Graph, NodeDef, TensorValue } from '../ir';
import { log } from '../log';
import { tensorToWeight, weightToTensor } from './const-weights';
import type { EncodedWeight } from './const-weights';
import { hasInlineValues, jsonShapeDims, nodesToTopology, topologyToGraph } from './topology';
import type { JsonNode } from './topology';
import { checkSpec, decodeWeights } from './weights';
import type { WeightSpec } from './weights';

export interface ArtifactsContext {
  /** The model.json path, named in errors. */
  file?: string;
  /** Shard file names, named when the weight data is short. */
  shards?: string;
}

/** Keys of model.json that are not kept in GraphMeta.tfjs (they are rebuilt on save). */
const STRUCTURAL = new Set(['modelTopology', 'weightsManifest', 'weightSpecs', 'weightData']);

export const GENERATED_BY = 'amct-ts';

export interface GraphArtifacts {
  modelTopology: Record<string, unknown>;
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
  format: string;
  generatedBy: string;
  convertedBy: string | null;
  [key: string]: unknown;
}

export interface ToArtifactsOptions {
  /**
   * Replaces a Const's tensor before it becomes a weight (e.g. the Session turns DT_INT8
   * and DT_UINT64 constants into int32/float32 ones); undefined keeps the node's own.
   * The node's `dtype` attribute follows the replacement's dtype.
   */
  mapConst?: (node: NodeDef, value: TensorValue) => TensorValue | undefined;
}

function specsOf(modelJson: Record<string, unknown>, ctx: ErrorContext): WeightSpec[] {
  if (Array.isArray(modelJson.weightSpecs)) return modelJson.weightSpecs.map((s) => checkSpec(s, ctx));
  const manifest = modelJson.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw new FileFormatError('MODEL_JSON_MALFORMED', 'weightsManifest is not a list', { ...ctx, hint: 're-convert the model' });
  return manifest.flatMap((g: { weights?: unknown }) => {
    if (!g || !Array.isArray(g.weights)) throw new FileFormatError('MODEL_JSON_MALFORMED', 'a weightsManifest group has no "weights" list', { ...ctx, hint: 're-convert the model' });
    return g.weights.map((s) => checkSpec(s, ctx));
  });
}

export function checkModelJson(modelJson: unknown, ctx: ErrorContext): Record<string, unknown> {
  if (modelJson === null || typeof modelJson !== 'object' || Array.isArray(modelJson)) {
    throw new FileFormatError('MODEL_JSON_MALFORMED', 'model.json is not a JSON object', { ...ctx, hint: 'pass the parsed model.json of a TensorFlow.js graph model' });
  }
  const m = modelJson as Record<string, unknown>;
  const topology = m.modelTopology as Record<string, unknown> | undefined;
  if (m.format === 'layers-model' || (topology && typeof topology === 'object' && ('class_name' in topology || 'model_config' in topology))) {
    throw new FileFormatError('UNSUPPORTED_FORMAT', 'this is a TensorFlow.js layers model, not a graph model', {
      ...ctx,
      hint: 'convert it with tensorflowjs_converter --output_format=tfjs_graph_model',
    });
  }
  if (!topology || typeof topology !== 'object') throw new FileFormatError('MODEL_JSON_MALFORMED', 'model.json has no modelTopology', { ...ctx, hint: 'is this a TensorFlow.js graph model?' });
  if (deeperThan(m, MAX_MODEL_JSON_DEPTH)) {
    throw new FileFormatError('MODEL_JSON_MALFORMED', `model.json nests objects or lists deeper than ${MAX_MODEL_JSON_DEPTH} levels`, {
      ...ctx,
      hint: 'the file is corrupt (a graph model nests about 15 levels); re-convert it with tensorflowjs_converter',
    });
  }
  return m;
}

/**
 * Deepest nesting of a model.json accepted. A graph model with a function library nests
 * about 15 levels; protobufjs and structuredClone recurse per level, so a file nested
 * thousands deep would overflow the stack.
 */
const MAX_MODEL_JSON_DEPTH = 100;

/** Is `value` nested deeper than `max`? Iterative, so it cannot overflow the stack itself. */
function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

export function graphFromArtifacts(modelJson: unknown, weightData: Uint8Array | ArrayBuffer, context: ArtifactsContext = {}): Graph {
  const ctx: ErrorContext = { file: context.file };
  const m = checkModelJson(modelJson, ctx);
  const specs = specsOf(m, ctx);
  const bytes = weightData instanceof Uint8Array ? weightData : new Uint8Array(weightData);
  const weights = decodeWeights(specs, bytes, { ...ctx, shards: context.shards });
  const { graph, json } = topologyToGraph(m.modelTopology as Record<string, unknown>, new Set(weights.keys()), ctx);
  for (const [name, w] of weights) {
    const node = graph.node(name);
    if (!node || node.op !== 'Const') {
      log.warn(`weight ${name} in ${context.file ?? 'model.json'} belongs to no Const node; ignored`);
      continue;
    }
    const t = json.get(name)?.attr?.value?.tensor;
    const declared = declaredDtype(node);
    const dims = jsonShapeDims(t, { ...ctx, node: name });
    if (dims && (dims.length !== w.spec.shape.length || dims.some((d, i) => d !== w.spec.shape[i]))) {
      throw new FileFormatError('MODEL_JSON_MALFORMED', `weight ${name} has shape [${w.spec.shape}] but its Const node declares [${dims}]`, { ...ctx, node: name, hint: 're-convert the model' });
    }
    node.attr.value = { kind: 'tensor', value: weightToTensor(w, declared, ctx) };
  }
  for (const node of graph.nodes()) if (node.op === 'Const' && !weights.has(node.name)) checkInline(node, json.get(node.name), ctx);
  const extras = Object.fromEntries(Object.entries(m).filter(([k]) => !STRUCTURAL.has(k)));
  graph.meta.tfjs = structuredClone(extras); // the caller's object (often a cached require) stays untouched
  return graph;
}

function declaredDtype(node: NodeDef): DataType | undefined {
  const v = node.attr.value;
  if (v?.kind === 'tensor' && v.value.dtype !== DataType.DT_INVALID) return v.value.dtype;
  const d = node.attr.dtype;
  return d?.kind === 'type' ? d.value : undefined;
}

function checkInline(node: NodeDef, json: JsonNode | undefined, ctx: ErrorContext): void {
  const t = json?.attr?.value?.tensor;
  const dims = jsonShapeDims(t, { ...ctx, node: node.name }) ?? [];
  if (t && !hasInlineValues(t) && numElements(dims) > 0) {
    throw new FileFormatError('WEIGHTS_MISSING', `Const node ${node.name} has no weight in weightsManifest and no inline value`, {
      ...ctx,
      node: node.name,
      hint: 'the weightsManifest does not belong to this modelTopology, or a shard list is incomplete',
    });
  }
}

export function graphToArtifacts(graph: Graph, options: ToArtifactsOptions = {}): GraphArtifacts {
  const weights: EncodedWeight[] = [];
  const nodes = graph.nodes().map((node) => {
    const v = node.attr.value;
    if (node.op !== 'Const' || v?.kind !== 'tensor') return node;
    const t = options.mapConst?.(node, v.value) ?? v.value;
    weights.push(tensorToWeight(node.name, t));
    return stripConst(node, t);
  });
  const modelTopology = nodesToTopology(nodes, graph.meta);
  const weightData = concat(weights.map((w) => w.bytes));
  const extras = graph.meta.tfjs ?? {};
  return {
    ...extras,
    modelTopology,
    weightSpecs: weights.map((w) => w.spec),
    weightData,
    format: typeof extras.format === 'string' ? extras.format : 'graph-model',
    generatedBy: typeof extras.generatedBy === 'string' ? extras.generatedBy : GENERATED_BY,
    convertedBy: typeof extras.convertedBy === 'string' ? extras.convertedBy : GENERATED_BY,
  };
}

/** The Const as model.json holds it: dtype and shape only, the values live in the weights. */
function stripConst(node: NodeDef, t: TensorValue): NodeDef {
  const placeholder: TensorValue = { dtype: t.dtype, shape: t.shape, data: new Uint8Array(0), encoding: { kind: 'values', storedCount: 0 } };
  const a: NodeDef['attr'] = { ...node.attr, value: attr.tensor(placeholder) };
  if (a.dtype?.kind === 'type') a.dtype = attr.type(t.dtype);
  return { ...node, attr: a };
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.buffer;
}
