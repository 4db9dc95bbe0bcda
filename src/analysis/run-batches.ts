/**
 * Runs the comparison graph once per batch and reads back the accumulated error sums.
 * Batches are checked up front (a non-empty array of feed maps); a feed that does not fit
 * the model fails with the Session's own code, naming the batch.
 */
import { AmctError, SessionError } from '../errors';
import type { ErrorCode } from '../errors';
import type { Graph } from '../ir';
import { log } from '../log';
import { ERROR_SUMS_STATE, Session } from '../runtime';
import type { BackendName, Feeds } from '../runtime';
import type { ErrorSums } from './metrics';

/** Called after each batch: `done` of `total` batches measured. */
export type ProgressCallback = (done: number, total: number) => void;

export function checkBatches(fn: string, batches: unknown): Feeds[] {
  if (!Array.isArray(batches) || batches.length === 0) {
    throw new SessionError('INVALID_ARGUMENT', `${fn} needs at least one batch; batches is ${Array.isArray(batches) ? 'empty' : typeof batches}`, {
      hint: 'pass an array of feed maps, one per batch, as Session.run takes them: [{ input: { data, shape } }, ...]',
    });
  }
  batches.forEach((b, i) => {
    if (b === null || typeof b !== 'object' || Array.isArray(b) || Object.keys(b).length === 0) {
      throw new SessionError('INVALID_ARGUMENT', `batches[${i}] of ${fn} is not a feed map`, {
        hint: 'each batch maps placeholder names to tensors or { data, shape }, e.g. { input: { data: Float32Array, shape: [1, 224, 224, 3] } }',
      });
    }
  });
  return batches as Feeds[];
}

const FEED_CODES = new Set<ErrorCode>(['FEED_UNKNOWN', 'FEED_MISSING', 'FEED_SHAPE_MISMATCH', 'FEED_DTYPE_MISMATCH']);

function inBatch(e: unknown, index: number): unknown {
  if (!(e instanceof AmctError) || !FEED_CODES.has(e.code)) return e;
  return new SessionError(e.code, `batches[${index}]: ${e.detail}`, { node: e.node, hint: e.hint ?? 'feed every placeholder of the model with its shape and dtype', cause: e });
}

export interface RunOptions {
  backend?: BackendName;
  onProgress?: ProgressCallback;
  /** Shown in progress logs. */
  label: string;
}

/** Sums of every comparison node over all batches. */
export async function runComparisons(graph: Graph, nodes: readonly string[], batches: readonly Feeds[], options: RunOptions): Promise<Map<string, ErrorSums>> {
  const session = await Session.create(graph, { backend: options.backend });
  try {
    for (let i = 0; i < batches.length; i++) {
      try {
        await session.run([...nodes], batches[i]);
      } catch (e) {
        throw inBatch(e, i);
      }
      log.info(`${options.label}: batch ${i + 1}/${batches.length}`);
      options.onProgress?.(i + 1, batches.length);
    }
    const sums = new Map<string, ErrorSums>();
    for (const n of nodes) sums.set(n, session.nodeState(n)!.get(ERROR_SUMS_STATE) as ErrorSums);
    return sums;
  } finally {
    session.dispose();
  }
}
