/**
 * Feeds: validated against the graph's Placeholders before anything reaches tfjs, so a
 * wrong feed is a SessionError naming the placeholder, not a tfjs assertion.
 */
import { SessionError } from '../errors';
import { attrShape, attrType, DataType, dtypeName, parseTensorName } from '../ir';
import type { Graph, NodeDef } from '../ir';
import { isGraphInput, isRequiredInput } from '../ir/placeholders';
import { checkRawFeed } from './feed-values';
import { knownOutputCount } from './output-counts';
import { tf } from './tfjs';

export type FeedData =
  | Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint32Array
  | BigInt64Array | BigUint64Array | number[] | boolean[];

/** A feed: a tfjs tensor (the caller keeps ownership) or values with a shape. */
export type FeedValue = tf.Tensor | { data: FeedData; shape: number[]; dtype?: tf.DataType };
export type Feeds = Record<string, FeedValue>;

export interface PreparedFeeds {
  /** Canonical tensor name → tensor, as tfjs's execute takes them. */
  tensors: Record<string, tf.Tensor>;
  /** Node names fed, where traversal for missing placeholders stops. */
  fedNodes: Set<string>;
}


export function placeholderNames(graph: Graph): string[] {
  return graph.nodes().filter((n) => isGraphInput(n)).map((n) => n.name);
}

/** The tfjs dtype a TF dtype runs as (after const translation, see const-translation.ts). */
export function tfjsDtypeOf(dtype: DataType): tf.DataType | undefined {
  switch (dtype) {
    case DataType.DT_FLOAT: case DataType.DT_DOUBLE: case DataType.DT_HALF: case DataType.DT_BFLOAT16:
      return 'float32';
    case DataType.DT_INT32: case DataType.DT_INT64: case DataType.DT_INT8: case DataType.DT_INT16: case DataType.DT_UINT8:
    case DataType.DT_UINT16: case DataType.DT_UINT32: case DataType.DT_QINT8: case DataType.DT_QUINT8: case DataType.DT_QINT32:
      return 'int32';
    case DataType.DT_BOOL:
      return 'bool';
    case DataType.DT_STRING:
      return 'string';
    case DataType.DT_COMPLEX64:
      return 'complex64';
    default:
      return undefined;
  }
}

function feedError(code: 'FEED_UNKNOWN' | 'FEED_SHAPE_MISMATCH' | 'FEED_DTYPE_MISMATCH', message: string, node: string, hint: string): SessionError {
  return new SessionError(code, message, { node, hint });
}

/** The fed node; "x:1" of a Placeholder (it has one output) is refused here, not by tfjs. */
function feedNode(graph: Graph, name: string): NodeDef {
  const ref = parseTensorName(name);
  const node = graph.node(ref.node);
  if (!node) {
    const known = placeholderNames(graph);
    throw feedError('FEED_UNKNOWN', `feed "${name}" names no tensor of the graph`, name,
      known.length > 0 ? `the graph's placeholders are: ${known.join(', ')}` : 'the graph has no placeholders');
  }
  const outputs = knownOutputCount(node);
  if (outputs !== undefined && ref.index >= outputs) {
    const what = isGraphInput(node) ? 'placeholder' : `${node.op} node`;
    throw feedError('FEED_UNKNOWN', `feed "${name}" names output ${ref.index} of ${what} ${node.name}, which has only output 0`, node.name,
      `feed "${node.name}" (or "${node.name}:0")`);
  }
  return node;
}

function expectedDtype(node: NodeDef): tf.DataType | undefined {
  if (!node.attr.dtype) return undefined;
  return tfjsDtypeOf(attrType(node, 'dtype'));
}

function checkShape(node: NodeDef, feedName: string, shape: readonly number[]): void {
  const declared = isGraphInput(node) ? attrShape(node, 'shape') : undefined;
  if (!declared || declared.unknownRank) return;
  const dims = declared.dims;
  const fits = dims.length === shape.length && dims.every((d, i) => d < 0 || d === shape[i]);
  if (!fits) {
    throw feedError('FEED_SHAPE_MISMATCH', `feed "${feedName}" has shape [${shape}], but placeholder ${node.name} takes [${dims}]`, node.name,
      'give a tensor of the placeholder\'s shape (-1 dimensions take any size)');
  }
}

function checkDtype(node: NodeDef, feedName: string, dtype: tf.DataType): void {
  const want = expectedDtype(node);
  if (want !== undefined && want !== dtype) {
    const tfName = dtypeName(attrType(node, 'dtype'));
    throw feedError('FEED_DTYPE_MISMATCH', `feed "${feedName}" is ${dtype}, but placeholder ${node.name} is ${tfName} (${want} in tfjs)`, node.name,
      `cast the feed to ${want}, or give raw data without a dtype and it is converted`);
  }
}

/** A validated feed, before any tensor is made for it. */
export interface CheckedFeed {
  name: string;
  /** Canonical tensor name, as tfjs's execute takes it. */
  key: string;
  node: NodeDef;
  shape: readonly number[];
  dtype: tf.DataType;
  /** The caller's tensor, or raw values (converted as tfjs takes them) to make one of. */
  tensor?: tf.Tensor;
  values?: tf.TensorLike;
}

/** Validates every feed without making tensors (checkFeedsFit sizes them first). */
export function checkFeeds(graph: Graph, feeds: Feeds): CheckedFeed[] {
  if (feeds === null || typeof feeds !== 'object' || Array.isArray(feeds) || feeds instanceof tf.Tensor) {
    throw new SessionError('INVALID_ARGUMENT', 'feeds must be an object mapping tensor names to tensors or { data, shape }', {
      hint: 'e.g. run("out", { input: { data: new Float32Array(n), shape: [1, n] } })',
    });
  }
  const names = new Map<string, string>();
  return Object.entries(feeds).map(([name, value]) => {
    const node = feedNode(graph, name);
    const key = `${node.name}:${parseTensorName(name).index}`;
    if (names.has(key)) {
      throw new SessionError('INVALID_ARGUMENT', `feeds "${names.get(key)}" and "${name}" name the same tensor`, { node: node.name, hint: 'feed each tensor once' });
    }
    names.set(key, name);
    if (value instanceof tf.Tensor) {
      if (value.isDisposed) throw new SessionError('INVALID_ARGUMENT', `feed "${name}" is a disposed tensor`, { node: node.name, hint: 'feed a tensor that is still alive (dispose it after session.run returns)' });
      checkShape(node, name, value.shape);
      checkDtype(node, name, value.dtype);
      return { name, key, node, shape: value.shape, dtype: value.dtype, tensor: value };
    }
    const raw = checkRawFeed(node, name, value, expectedDtype(node));
    checkShape(node, name, raw.shape);
    checkDtype(node, name, raw.dtype);
    return { name, key, node, ...raw };
  });
}

/**
 * Makes tfjs tensors of the raw feeds; on failure frees the ones made. Call it inside the
 * run's scope (run-scope.ts): the scope frees the tensors made here when the run ends.
 */
export function makeFeedTensors(checked: CheckedFeed[]): PreparedFeeds {
  const prepared: PreparedFeeds = { tensors: {}, fedNodes: new Set() };
  const created: tf.Tensor[] = [];
  try {
    for (const f of checked) {
      let t = f.tensor;
      if (!t) {
        t = tf.tensor(f.values!, [...f.shape], f.dtype);
        created.push(t);
      }
      prepared.tensors[f.key] = t;
      prepared.fedNodes.add(f.node.name);
    }
  } catch (e) {
    tf.dispose(created);
    throw e;
  }
  return prepared;
}

/**
 * Throws FEED_MISSING naming every Placeholder the fetches depend on that is not fed.
 * Like TensorFlow, only what the fetches need must be fed; a fed tensor cuts the walk.
 */
export function checkFeedsCover(graph: Graph, fetchNodes: string[], fedNodes: Set<string>): void {
  const missing: string[] = [];
  const seen = new Set<string>();
  const stack = [...fetchNodes];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name) || fedNodes.has(name)) continue;
    seen.add(name);
    const node = graph.getNode(name);
    if (isRequiredInput(node)) missing.push(name);
    for (const input of node.inputs) stack.push(parseTensorName(input).node);
    stack.push(...node.controlInputs);
  }
  if (missing.length === 0) return;
  missing.sort();
  throw new SessionError('FEED_MISSING', `the fetches need placeholder${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not fed`, {
    node: missing[0],
    hint: `add ${missing.map((m) => `"${m}"`).join(', ')} to the feeds`,
  });
}

