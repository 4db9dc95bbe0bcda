/**
 * GraphDef ⇄ Graph. The only place where protobuf bytes become IR: errors from the
 * wire layer are turned into FileFormatErrors naming the file and node here.
 */
import { AmctError, FileFormatError } from '../errors';
import { Graph } from '../ir';
import type { AttrValue, GraphMeta, NodeDef, VersionDef } from '../ir';
import { addAttrEntry, writeAttrMap } from './attr-codec';
import { DEFAULT_LIMITS } from './tensor-codec';
import type { DecodeLimits } from './tensor-codec';
import { CodecError, concatBytes, expectWire, ProtoReader, WIRE_LEN, WIRE_VARINT } from './wire';
import { ProtoWriter } from './writer';
import { libraryJsonToBytes } from './schema';

export interface DecodeOptions extends Partial<DecodeLimits> {
  /** Named in errors. */
  file?: string;
}

const HINTS: Record<string, string> = {
  PROTOBUF_MALFORMED: 'the file is truncated or is not a frozen TensorFlow GraphDef (.pb); re-export it with tf.io.write_graph or freeze_graph',
  UNSUPPORTED_DTYPE: 'the tensor uses a data type this TensorFlow version does not define; re-export the model',
  INVALID_GRAPH: 'the graph does not follow TensorFlow rules; re-export the model',
};

function wrap(e: unknown, file: string | undefined, node: string | undefined, where: string): unknown {
  if (e instanceof AmctError) return e;
  const code = e instanceof CodecError ? e.code : e instanceof RangeError ? 'PROTOBUF_MALFORMED' : undefined;
  if (!code) return e; // a bug in amct-ts, not bad input: let it surface as is
  return new FileFormatError(code, `cannot decode ${where}: ${(e as Error).message}`, { file, node, hint: HINTS[code], cause: e });
}

export function decodeGraphDef(bytes: Uint8Array, fileOrOptions?: string | DecodeOptions): Graph {
  const opts: DecodeOptions = typeof fileOrOptions === 'string' ? { file: fileOrOptions } : fileOrOptions ?? {};
  const limits: DecodeLimits = { ...DEFAULT_LIMITS, ...definedOnly(opts) };
  const r = new ProtoReader(bytes);
  const nodes: NodeDef[] = [];
  const meta: GraphMeta = {};
  const library: Uint8Array[] = [];
  const opaque: Uint8Array[] = [];
  try {
    while (!r.eof()) {
      const start = r.pos;
      const [field, wire] = r.tag();
      if (field === 1) {
        if (wire === WIRE_VARINT && nodes.length === 0) {
          throw new CodecError('this looks like a SavedModel (saved_model.pb), not a frozen GraphDef; freeze it first (convert_variables_to_constants_v2)');
        }
        expectWire(field, wire, WIRE_LEN);
        nodes.push(decodeNodeChecked(nodeReader(r, bytes, opts.file, nodes.length), limits, opts.file, nodes.length));
      } else if (field === 2 && wire === WIRE_LEN) {
        library.push(r.bytes()); // repeated occurrences of a message field merge: concatenation does that
      } else if (field === 3 && wire === WIRE_VARINT) {
        meta.version = r.int32();
      } else if (field === 4 && wire === WIRE_LEN) {
        meta.versions = decodeVersions(r.sub(), meta.versions);
      } else {
        opaque.push(r.rawField(start, wire));
      }
    }
  } catch (e) {
    throw wrap(e, opts.file, undefined, 'GraphDef');
  }
  if (library.length > 0) meta.library = { raw: new Uint8Array(concatBytes(library)) };
  if (opaque.length > 0) meta.opaque = new Uint8Array(concatBytes(opaque));
  try {
    return new Graph(nodes, meta);
  } catch (e) {
    const err = e as AmctError;
    throw new FileFormatError(err.code, err.message, { file: opts.file, node: err.node, hint: err.hint, cause: e });
  }
}

function definedOnly(o: DecodeOptions): Partial<DecodeLimits> {
  return o.maxTensorBytes !== undefined ? { maxTensorBytes: o.maxTensorBytes } : {};
}

/** The reader over a node; a node cut off by the end of the file is reported by name when it can be read. */
function nodeReader(r: ProtoReader, bytes: Uint8Array, file: string | undefined, index: number): ProtoReader {
  const at = r.pos;
  try {
    return r.sub();
  } catch (e) {
    const name = peekName(bytes, at);
    throw wrap(e, file, name, `node #${index}${name ? ` (${name})` : ''}`);
  }
}

/** Best effort: the name field at the start of a (possibly truncated) NodeDef. */
function peekName(bytes: Uint8Array, at: number): string | undefined {
  try {
    const p = new ProtoReader(bytes, at);
    p.uint32(); // the node's (too long) length
    const [field, wire] = p.tag();
    return field === 1 && wire === WIRE_LEN ? p.string() || undefined : undefined;
  } catch {
    return undefined;
  }
}

function decodeNodeChecked(r: ProtoReader, limits: DecodeLimits, file: string | undefined, index: number): NodeDef {
  const partial = { name: '' };
  try {
    return decodeNode(r, limits, partial);
  } catch (e) {
    throw wrap(e, file, partial.name || undefined, `node #${index}${partial.name ? ` (${partial.name})` : ''}`);
  }
}

function decodeNode(r: ProtoReader, limits: DecodeLimits, partial: { name: string }): NodeDef {
  let op = '';
  let device = '';
  const inputs: string[] = [];
  const controlInputs: string[] = [];
  const attr: Record<string, AttrValue> = {};
  const opaque: Uint8Array[] = [];
  while (!r.eof()) {
    const start = r.pos;
    const [field, wire] = r.tag();
    if (field <= 5 && wire !== WIRE_LEN) throw new CodecError(`NodeDef field ${field} has wire type ${wire}, expected ${WIRE_LEN}`);
    switch (field) {
      case 1: partial.name = r.string(); break;
      case 2: op = r.string(); break;
      case 3: addInput(r.string(), inputs, controlInputs); break;
      case 4: device = r.string(); break;
      case 5: addAttrEntry(r.sub(), attr, limits); break;
      default: opaque.push(r.rawField(start, wire));
    }
  }
  if (partial.name === '') throw new CodecError('a node has no name', 'INVALID_GRAPH');
  const node: NodeDef = { name: partial.name, op, inputs, controlInputs, device, attr };
  if (opaque.length > 0) node.opaque = new Uint8Array(concatBytes(opaque));
  return node;
}

function addInput(input: string, inputs: string[], controlInputs: string[]): void {
  if (input.startsWith('^')) {
    controlInputs.push(input.slice(1));
    return;
  }
  // The IR keeps data and control inputs apart; TensorFlow itself rejects this order.
  if (controlInputs.length > 0) throw new CodecError(`data input "${input}" comes after a control input`, 'INVALID_GRAPH');
  inputs.push(input);
}

function decodeVersions(r: ProtoReader, into: VersionDef | undefined): VersionDef {
  const v: VersionDef = into ?? { producer: 0, minConsumer: 0, badConsumers: [] };
  while (!r.eof()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WIRE_VARINT) v.producer = r.int32();
    else if (field === 2 && wire === WIRE_VARINT) v.minConsumer = r.int32();
    else if (field === 3 && (wire === WIRE_VARINT || wire === WIRE_LEN)) {
      const p = new ProtoReader(r.scalarSegment(wire, WIRE_VARINT));
      while (!p.eof()) v.badConsumers.push(p.int32());
    } else r.skip(wire);
  }
  return v;
}

/** Encodes a graph as a GraphDef in TensorFlow's deterministic field order. */
export function encodeGraphDef(graph: Graph): Uint8Array {
  return encodeGraphParts(graph.nodes(), graph.meta);
}

/** encodeGraphDef for nodes that need not form a Graph (model.json topologies with weights stripped). */
export function encodeGraphParts(nodes: readonly NodeDef[], meta: GraphMeta): Uint8Array {
  const w = new ProtoWriter();
  for (const node of nodes) {
    try {
      w.fork();
      writeNodeFields(w, node);
      w.ldelim(1);
    } catch (e) {
      throw wrapEncode(e, node.name);
    }
  }
  writeMeta(w, meta);
  return w.finish();
}

function wrapEncode(e: unknown, node: string): unknown {
  if (!(e instanceof CodecError)) return e;
  return new FileFormatError(e.code, `cannot encode node ${node}: ${e.message}`, { node, hint: 'a pass left an inconsistent tensor; this is likely a bug in the pass that made the node' });
}

export function writeNodeFields(w: ProtoWriter, node: NodeDef): void {
  w.optString(1, node.name).optString(2, node.op);
  for (const input of node.inputs) w.stringField(3, input);
  for (const c of node.controlInputs) w.stringField(3, `^${c}`);
  w.optString(4, node.device);
  writeAttrMap(w, 5, node.attr);
  if (node.opaque) w.raw(node.opaque);
}

function writeMeta(w: ProtoWriter, meta: GraphMeta): void {
  const library = libraryBytes(meta);
  if (library) w.bytesField(2, library);
  w.optInt32(3, meta.version);
  if (meta.versions) {
    const v = meta.versions;
    w.fork().optInt32(1, v.producer).optInt32(2, v.minConsumer);
    if (v.badConsumers.length > 0) {
      const w2 = new ProtoWriter();
      for (const b of v.badConsumers) w2.int32(b);
      w.bytesField(3, w2.finish());
    }
    w.ldelim(4);
  }
  if (meta.opaque) w.raw(meta.opaque);
}

/** Library bytes: the raw bytes when read from a .pb, else encoded from the model.json form. */
function libraryBytes(meta: GraphMeta): Uint8Array | undefined {
  if (meta.library?.raw) return meta.library.raw;
  if (meta.library?.json === undefined) return undefined;
  return libraryJsonToBytes(meta.library.json);
}
