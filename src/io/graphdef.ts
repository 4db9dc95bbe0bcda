/**
 * GraphDef ⇄ Graph. protobufjs decodes and encodes the bytes with our schema; this
 * module (with attr-codec.ts and tensor-codec.ts) is the one boundary where its message
 * objects become IR and back, and where failures become FileFormatErrors naming the file
 * and node.
 */
import { AmctError, FileFormatError } from '../errors';
import { Graph } from '../ir';
import type { GraphMeta, NodeDef, VersionDef } from '../ir';
import { attrMapFromMessage, attrMapToMessage } from './attr-codec';
import { CodecError, copyBytes, decodeMessage, encodeMessage, keptFields, unknowns } from './pb';
import type { PbGraphDef, PbNodeDef, PbVersionDef } from './pb';
import { describeDecodeError, findFailedNode } from './pb-errors';
import { libraryJsonToBytes } from './schema';
import { DEFAULT_LIMITS, tensorSizeHint } from './tensor-codec';
import type { DecodeLimits } from './tensor-codec';

export interface DecodeOptions extends Partial<Omit<DecodeLimits, 'node' | 'file'>> {
  /** Named in errors. */
  file?: string;
}

const HINTS: Record<string, string> = {
  PROTOBUF_MALFORMED: 'the file is truncated or is not a frozen TensorFlow GraphDef (.pb); re-export it with tf.io.write_graph or freeze_graph',
  UNSUPPORTED_DTYPE: 'the tensor uses a data type this TensorFlow version does not define; re-export the model',
  INVALID_GRAPH: 'the graph does not follow TensorFlow rules; re-export the model',
};

/** A SavedModel starts with saved_model_schema_version (field 1, varint): tag byte 0x08, never valid in a GraphDef. */
const SAVED_MODEL_TAG = (1 << 3) | 0;

function malformed(message: string, file: string | undefined, node?: string, cause?: unknown): FileFormatError {
  return new FileFormatError('PROTOBUF_MALFORMED', message, { file, node, hint: HINTS.PROTOBUF_MALFORMED, cause });
}

export function decodeGraphDef(bytes: Uint8Array, fileOrOptions?: string | DecodeOptions): Graph {
  const opts: DecodeOptions = typeof fileOrOptions === 'string' ? { file: fileOrOptions } : fileOrOptions ?? {};
  if (bytes.length > 0 && bytes[0] === SAVED_MODEL_TAG) {
    throw malformed('cannot decode GraphDef: this looks like a SavedModel (saved_model.pb), not a frozen GraphDef; freeze it first (convert_variables_to_constants_v2)', opts.file);
  }
  let message: PbGraphDef;
  try {
    message = decodeMessage<PbGraphDef>('GraphDef', bytes);
  } catch (e) {
    // Anything protobufjs throws here comes from the bytes: say where, when it was in a node.
    const failed = findFailedNode(bytes);
    const where = failed ? `node #${failed.index}${failed.name ? ` (${failed.name})` : ''}` : 'GraphDef';
    throw malformed(`cannot decode ${where}: ${describeDecodeError(e)}`, opts.file, failed?.name, e);
  }
  return graphFromMessage(message, opts);
}

/** A decoded (or, for model.json, fromObject-built) GraphDef message as a Graph. */
export function graphFromMessage(message: PbGraphDef, opts: DecodeOptions = {}): Graph {
  const limits: DecodeLimits = {
    maxTensorBytes: opts.maxTensorBytes ?? DEFAULT_LIMITS.maxTensorBytes,
    maxExpandedBytes: opts.maxExpandedBytes ?? DEFAULT_LIMITS.maxExpandedBytes,
    file: opts.file,
    deferContent: opts.deferContent,
  };
  const nodes = (message.node ?? []).map((n, i) => nodeFromMessageChecked(n, limits, opts.file, i));
  const meta: GraphMeta = {};
  if (message.version) meta.version = message.version;
  if (message.versions) meta.versions = versionsFromMessage(message.versions);
  if (message.library) meta.library = { raw: copyBytes(message.library) };
  const opaque = keptFields('GraphDef', message, ['debugInfo']);
  if (opaque) meta.opaque = opaque;
  try {
    return new Graph(nodes, meta);
  } catch (e) {
    const err = e as AmctError;
    throw new FileFormatError(err.code, err.message, { file: opts.file, node: err.node, hint: err.hint, cause: e });
  }
}

function nodeFromMessageChecked(m: PbNodeDef, limits: DecodeLimits, file: string | undefined, index: number): NodeDef {
  try {
    return nodeFromMessage(m, { ...limits, node: m.name || undefined });
  } catch (e) {
    if (!(e instanceof CodecError)) throw e; // a bug in amct-ts, not bad input: let it surface as is
    const name = m.name || undefined;
    const where = `node #${index}${name ? ` (${name})` : ''}`;
    throw new FileFormatError(e.code, `cannot decode ${where}: ${e.message}`, { file, node: name, hint: HINTS[e.code], cause: e });
  }
}

function nodeFromMessage(m: PbNodeDef, limits: DecodeLimits): NodeDef {
  if (!m.name) throw new CodecError('a node has no name', 'INVALID_GRAPH');
  const inputs: string[] = [];
  const controlInputs: string[] = [];
  for (const input of m.input ?? []) {
    if (input.startsWith('^')) {
      controlInputs.push(input.slice(1));
      continue;
    }
    // The IR keeps data and control inputs apart; TensorFlow itself rejects this order.
    if (controlInputs.length > 0) throw new CodecError(`data input "${input}" comes after a control input`, 'INVALID_GRAPH');
    inputs.push(input);
  }
  const node: NodeDef = { name: m.name, op: m.op ?? '', inputs, controlInputs, device: m.device ?? '', attr: attrMapFromMessage(m.attr, limits) };
  const opaque = keptFields('NodeDef', m, ['experimentalDebugInfo', 'experimentalType']);
  if (opaque) node.opaque = opaque;
  return node;
}

function versionsFromMessage(m: PbVersionDef): VersionDef {
  return { producer: m.producer ?? 0, minConsumer: m.minConsumer ?? 0, badConsumers: (m.badConsumers ?? []).slice() };
}

/** Encodes a graph as a GraphDef in TensorFlow's deterministic field order. */
export function encodeGraphDef(graph: Graph): Uint8Array {
  const nodes = graph.nodes();
  const message = graphToMessage(nodes, graph.meta);
  try {
    return encodeMessage('GraphDef', message, sizeHint(nodes, graph.meta));
  } catch (e) {
    // protobufjs fails on a value of the wrong shape (read from a hostile model.json); name the node.
    const bad = unencodableNode(message);
    throw new FileFormatError('PROTOBUF_MALFORMED', `cannot encode ${bad ? `node ${bad.name}` : 'the graph'}: ${(e as Error).message}`, {
      node: bad?.name,
      hint: 'an attribute holds a value of the wrong type (the model.json it came from is malformed); re-convert the model',
      cause: e,
    });
  }
}

/**
 * The first node protobufjs cannot encode (a value of the wrong type, as fromObject lets
 * through from a malformed model.json), with protobufjs's reason; undefined when all encode.
 * Error path only: it encodes node by node.
 */
export function unencodableNode(message: PbGraphDef): { name?: string; why: string } | undefined {
  for (const node of message.node ?? []) {
    try {
      encodeMessage('NodeDef', node);
    } catch (e) {
      return { name: node.name, why: (e as Error).message };
    }
  }
  return undefined;
}

/**
 * Roughly the encoded size, a little over rather than under (a short hint costs one more
 * copy of everything written so far): tensor bytes dominate; ~256 bytes per node for
 * names, inputs and attrs, plus 3%.
 */
function sizeHint(nodes: readonly NodeDef[], meta: GraphMeta): number {
  let n = 4096 + (meta.library?.raw?.length ?? 0) + (meta.opaque?.length ?? 0);
  for (const node of nodes) {
    n += 256 + (node.opaque?.length ?? 0);
    for (const key in node.attr) {
      const a = node.attr[key];
      if (a.kind === 'tensor') n += tensorSizeHint(a.value);
    }
  }
  return n + (n >> 5);
}

/**
 * The GraphDef message of `nodes` (which need not form a Graph: model.json topologies
 * have their weights stripped). Only non-default fields are set, as protobufjs's toObject
 * prints every field it is given; unmodelled fields ride in `$unknowns`, written last.
 */
export function graphToMessage(nodes: readonly NodeDef[], meta: GraphMeta): PbGraphDef {
  const m: PbGraphDef = { node: nodes.map(nodeToMessageChecked), ...unknowns(meta.opaque) };
  const library = libraryBytes(meta);
  if (library) m.library = library;
  if (meta.version) m.version = meta.version;
  if (meta.versions) m.versions = versionsToMessage(meta.versions);
  return m;
}

function nodeToMessageChecked(node: NodeDef): PbNodeDef {
  try {
    return nodeToMessage(node);
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    throw new FileFormatError(e.code, `cannot encode node ${node.name}: ${e.message}`, { node: node.name, hint: 'a pass left an inconsistent tensor; this is likely a bug in the pass that made the node' });
  }
}

function nodeToMessage(node: NodeDef): PbNodeDef {
  const m: PbNodeDef = { attr: attrMapToMessage(node.attr), ...unknowns(node.opaque) };
  if (node.name) m.name = node.name;
  if (node.op) m.op = node.op;
  if (node.inputs.length > 0 || node.controlInputs.length > 0) m.input = [...node.inputs, ...node.controlInputs.map((c) => `^${c}`)];
  if (node.device) m.device = node.device;
  return m;
}

function versionsToMessage(v: VersionDef): PbVersionDef {
  const m: PbVersionDef = {};
  if (v.producer) m.producer = v.producer;
  if (v.minConsumer) m.minConsumer = v.minConsumer;
  if (v.badConsumers.length > 0) m.badConsumers = v.badConsumers;
  return m;
}

/** Library bytes: the raw bytes when read from a .pb, else encoded from the model.json form. */
function libraryBytes(meta: GraphMeta): Uint8Array | undefined {
  if (meta.library?.raw) return meta.library.raw;
  if (meta.library?.json === undefined) return undefined;
  return libraryJsonToBytes(meta.library.json);
}
