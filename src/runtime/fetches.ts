/**
 * Fetches: names checked against the graph before a run, and tfjs's output tensors turned
 * into what run() returns. Plain data is the default so that nothing can leak; tensors
 * are available on request and then belong to the caller.
 */
import { SessionError } from '../errors';
import { parseTensorName, TensorRef } from '../ir';
import type { Graph } from '../ir';
import { knownOutputCount } from './output-counts';
import { tf } from './tfjs';

/** A fetched tensor as plain values (row-major); nothing to dispose. */
export interface FetchedTensor {
  /** The fetch name as the caller wrote it. */
  name: string;
  /** Float32Array (float32), Int32Array (int32), Uint8Array (bool), Uint8Array[] (string bytes). */
  data: Float32Array | Int32Array | Uint8Array | Uint8Array[];
  shape: number[];
  dtype: tf.DataType;
}

export interface RunOptions {
  /** 'data' (default): FetchedTensor values. 'tensor': tf.Tensors the caller must dispose. */
  as?: 'data' | 'tensor';
}

export interface FetchPlan {
  /** Fetch names as given. */
  requested: string[];
  /** tfjs output names, deduplicated ("node:index"). */
  unique: string[];
  /** For each requested fetch, its position in `unique`. */
  slot: number[];
  /** Nodes the fetches read. */
  nodes: string[];
}

function unknownFetch(name: string, why: string): SessionError {
  return new SessionError('FETCH_UNKNOWN', `cannot fetch "${name}": ${why}`, {
    node: name,
    hint: 'fetch "node" or "node:index" with the name of a node of the graph',
  });
}

function parseFetch(graph: Graph, name: unknown): TensorRef {
  if (typeof name !== 'string') throw unknownFetch(String(name), 'a fetch must be a tensor name string');
  let ref: TensorRef;
  try {
    ref = parseTensorName(name);
  } catch {
    throw unknownFetch(name, 'it is not a tensor name');
  }
  if (!graph.has(ref.node)) throw unknownFetch(name, `the graph has no node ${ref.node}`);
  const outputs = knownOutputCount(graph.getNode(ref.node));
  if (outputs !== undefined && ref.index >= outputs) throw unknownFetch(name, `node ${ref.node} has only output 0`);
  return ref;
}

export function planFetches(graph: Graph, fetches: string | string[]): FetchPlan {
  const requested = typeof fetches === 'string' ? [fetches] : fetches;
  if (!Array.isArray(requested) || requested.length === 0) {
    throw new SessionError('FETCH_UNKNOWN', 'nothing to fetch', { hint: 'pass a tensor name or a non-empty array of them' });
  }
  const unique: string[] = [];
  const slot = requested.map((name) => {
    const ref = parseFetch(graph, name);
    const key = `${ref.node}:${ref.index}`;
    const at = unique.indexOf(key);
    if (at >= 0) return at;
    unique.push(key);
    return unique.length - 1;
  });
  const nodes = [...new Set(unique.map((k) => parseTensorName(k).node))];
  return { requested, unique, slot, nodes };
}

/** Tensors the session must neither dispose nor hand out: feeds and model weights. */
export type Borrowed = Set<tf.Tensor>;

/**
 * Turns tfjs's outputs into results and frees everything the caller does not receive.
 * A fetch of a feed or a weight gets a clone, never the tensor itself.
 */
export async function collectOutputs(plan: FetchPlan, outputs: (tf.Tensor | undefined)[], borrowed: Borrowed, as: 'data' | 'tensor'): Promise<(FetchedTensor | tf.Tensor)[]> {
  const owned = outputs.filter((t): t is tf.Tensor => t !== undefined && !borrowed.has(t));
  try {
    const missing = outputs.findIndex((t) => t === undefined);
    if (missing >= 0) throw unknownFetch(plan.unique[missing], 'the node has no output with that index');
    if (as === 'tensor') return handOut(plan, outputs as tf.Tensor[]);
    const values = await Promise.all((outputs as tf.Tensor[]).map((t) => t.data()));
    return plan.requested.map((name, i) => {
      const t = outputs[plan.slot[i]]!;
      return { name, data: values[plan.slot[i]] as FetchedTensor['data'], shape: [...t.shape], dtype: t.dtype };
    });
  } finally {
    tf.dispose([...new Set(owned)]);
  }
}

/**
 * Hands out a clone per fetch (clones share the data, so this copies nothing): the
 * caller's tensors are then never feeds, weights or each other, and the finally above
 * can free all of tfjs's own outputs.
 */
function handOut(plan: FetchPlan, outputs: tf.Tensor[]): tf.Tensor[] {
  return plan.requested.map((_, i) => tf.clone(outputs[plan.slot[i]]));
}
