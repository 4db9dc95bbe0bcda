/**
 * model.json's modelTopology (a GraphDef in proto3 JSON) ⇄ IR nodes. protobufjs turns
 * the JSON into a GraphDef message (fromObject) and back (toObject); the message ⇄ IR
 * conversion is the one the .pb codec uses, so both formats decode identically.
 */
import type * as protobuf from 'protobufjs';
import { FileFormatError } from '../errors';
import type { ErrorContext } from '../errors';
import { DataType, Graph } from '../ir';
import type { GraphMeta, NodeDef } from '../ir';
import { graphFromMessage, graphToMessage, unencodableNode } from './graphdef';
import type { PbGraphDef } from './pb';
import { JSON_OPTIONS, libraryBytesToJson, libraryJsonToBytes, messageType } from './schema';

export type JsonNode = { name?: unknown; op?: unknown; attr?: Record<string, JsonAttr> } & Record<string, unknown>;
type JsonAttr = { type?: unknown; list?: { type?: unknown }; tensor?: JsonTensor } & Record<string, unknown>;
export type JsonTensor = { dtype?: unknown; tensorShape?: { dim?: { size?: unknown }[] } } & Record<string, unknown>;

const malformed = (message: string, ctx: ErrorContext, hint = 'the file is not a valid TensorFlow.js graph model; re-convert it with tensorflowjs_converter') =>
  new FileFormatError('MODEL_JSON_MALFORMED', message, { ...ctx, hint });

function checkDtypeName(value: unknown, node: string, ctx: ErrorContext): void {
  if (value === undefined || typeof value === 'number') return;
  if (typeof value !== 'string' || typeof DataType[value as keyof typeof DataType] !== 'number') {
    throw new FileFormatError('UNSUPPORTED_DTYPE', `node ${node} uses unknown dtype ${JSON.stringify(value)}`, {
      ...ctx,
      node,
      hint: 'dtypes are TensorFlow DataType names such as "DT_FLOAT"',
    });
  }
}

/** protobufjs maps unknown enum names to 0 silently; check them first so they are reported. */
function checkNodeJson(n: unknown, i: number, ctx: ErrorContext): JsonNode {
  if (n === null || typeof n !== 'object' || typeof (n as JsonNode).name !== 'string') {
    throw malformed(`modelTopology.node[${i}] is not a node with a name`, ctx);
  }
  const node = n as JsonNode;
  const name = node.name as string;
  for (const a of Object.values(node.attr ?? {})) {
    if (a === null || typeof a !== 'object') throw malformed(`node ${name} has a malformed attribute`, { ...ctx, node: name });
    checkDtypeName(a.type, name, ctx);
    if (Array.isArray(a.list?.type)) for (const t of a.list!.type as unknown[]) checkDtypeName(t, name, ctx);
    checkDtypeName(a.tensor?.dtype, name, ctx);
  }
  return node;
}

/**
 * Nodes of a modelTopology as a Graph. Const nodes named in `weightNodes` get a
 * placeholder value (their data comes from the weights) so nothing large is built twice.
 */
export function topologyToGraph(topology: Record<string, unknown>, weightNodes: Set<string>, ctx: ErrorContext): { graph: Graph; json: Map<string, JsonNode> } {
  if (!Array.isArray(topology.node)) throw malformed('modelTopology has no "node" list', ctx);
  const json = new Map<string, JsonNode>();
  const nodes = topology.node.map((n, i) => {
    const node = checkNodeJson(n, i, ctx);
    json.set(node.name as string, node);
    if (!weightNodes.has(node.name as string) || node.attr?.value?.tensor == null) return node;
    const tensor = node.attr.value.tensor;
    return { ...node, attr: { ...node.attr, value: { tensor: { dtype: tensor.dtype } } } };
  });
  const { library, ...rest } = topology;
  let message: PbGraphDef;
  try {
    message = messageType('GraphDef').fromObject({ ...rest, node: nodes }) as PbGraphDef;
  } catch (e) {
    throw malformed(`modelTopology does not match the GraphDef schema: ${(e as Error).message}`, { ...ctx, cause: e });
  }
  checkEncodes(message, ctx);
  let graph: Graph;
  try {
    graph = graphFromMessage(message, { file: ctx.file });
  } catch (e) {
    const err = e as FileFormatError;
    if (err.code !== 'PROTOBUF_MALFORMED') throw e;
    throw malformed(err.message.replace(/\. Hint:.*$/, ''), { ...ctx, node: err.node, cause: e });
  }
  if (library !== undefined) graph.meta.library = { json: structuredClone(library), raw: libraryRaw(library, ctx) };
  return { graph, json };
}

/**
 * fromObject lets some values of the wrong type through (an object where bytes belong)
 * that encoding then trips on; found here, at load, with the node named, rather than
 * when the graph is saved. The topology holds no weights, so this encode is cheap.
 */
function checkEncodes(message: PbGraphDef, ctx: ErrorContext): void {
  try {
    messageType('GraphDef').encode(message).finish();
    return;
  } catch {
    // found node by node below
  }
  const bad = unencodableNode(message);
  if (bad) throw malformed(`node ${bad.name} has an attribute value of the wrong type (${bad.why})`, { ...ctx, node: bad.name });
  throw malformed('modelTopology holds a value of the wrong type outside its nodes', ctx);
}

function libraryRaw(library: unknown, ctx: ErrorContext): Uint8Array {
  try {
    return libraryJsonToBytes(library);
  } catch (e) {
    throw malformed(`modelTopology.library does not match the FunctionDefLibrary schema: ${(e as Error).message}`, { ...ctx, cause: e });
  }
}

/** The proto3-JSON modelTopology of `nodes` (Const values already stripped by the caller). */
export function nodesToTopology(nodes: readonly NodeDef[], meta: GraphMeta): Record<string, unknown> {
  // Without library (added below, as JSON) and opaque fields (debug info is not written to model.json).
  const message = graphToMessage(nodes, { versions: meta.versions, version: meta.version });
  const topology = messageType('GraphDef').toObject(message as protobuf.Message, JSON_OPTIONS) as Record<string, unknown>;
  for (const node of (topology.node ?? []) as JsonNode[]) for (const a of Object.values(node.attr ?? {})) shortenFloats(a);
  if (meta.library) topology.library = meta.library.json ?? (meta.library.raw ? libraryJson(meta.library.raw) : {});
  return topology;
}

/** The library read from a .pb, as model.json holds it; its bytes were kept unread, so they may be malformed. */
function libraryJson(raw: Uint8Array): Record<string, unknown> {
  try {
    return libraryBytesToJson(raw);
  } catch (e) {
    throw new FileFormatError('PROTOBUF_MALFORMED', `the graph's function library (GraphDef.library) is malformed and cannot be written as model.json: ${(e as Error).message}`, {
      hint: 'the .pb it came from is corrupt; re-export the model, or save the graph as .pb (which keeps the library bytes as they were)',
      cause: e,
    });
  }
}

/** The shortest decimal that reads back as the same float32, as TensorFlow's JSON writer prints floats. */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x)) return x;
  for (let p = 1; p < 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

/** attr f and list.f come out of protobufjs as the float32's exact double (0.0010000000474974513). */
function shortenFloats(a: JsonAttr): void {
  if (typeof a.f === 'number') a.f = shortestFloat32(a.f);
  const list = a.list as { f?: unknown[] } | undefined;
  if (Array.isArray(list?.f)) list!.f = list!.f.map((v) => (typeof v === 'number' ? shortestFloat32(v) : v));
}

/** Dims of a JSON tensorShape, or undefined when the JSON gives none; a malformed shape is MODEL_JSON_MALFORMED naming the node. */
export function jsonShapeDims(t: JsonTensor | undefined, ctx: ErrorContext = {}): number[] | undefined {
  if (!t?.tensorShape) return undefined;
  const dim = (t.tensorShape as { dim?: unknown }).dim ?? [];
  const dims = Array.isArray(dim) ? dim.map((d) => (d !== null && typeof d === 'object' ? Number((d as { size?: unknown }).size ?? 0) : NaN)) : undefined;
  if (!dims || !dims.every((d) => Number.isSafeInteger(d) && d >= -1)) {
    throw malformed(`the tensorShape of node ${ctx.node ?? '?'} is not a list of dimensions ({ "size": n })`, ctx);
  }
  return dims;
}

/** Does a JSON tensor carry its values inline (tensorContent or a typed *Val list)? */
export function hasInlineValues(t: JsonTensor | undefined): boolean {
  if (!t) return false;
  return Object.keys(t).some((k) => k === 'tensorContent' || k.endsWith('Val'));
}
