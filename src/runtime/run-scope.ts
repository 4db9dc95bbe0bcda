/**
 * What keeps Session.run from leaking and from letting a raw error out.
 *
 * RunScope: one tfjs engine scope per run. tfjs-converter frees the intermediates it
 * knows about, but not what kernels allocate around it (a sync kernel under executeAsync
 * used to leak every intermediate: ~1,500 tensors and ~700 MB per run of handtrack's
 * INT8 graph); the scope frees everything made during the run except the tensors handed
 * to the caller and those kernels tf.keep() on purpose (QuantArq's cached weight).
 * Runs are queued (mutex.ts), so no other session allocates inside our scope; a caller
 * who makes tensors concurrently with an awaited run (outside any tf.tidy) should keep
 * them with tf.keep.
 *
 * runFailure: every error of a run as an AmctError: OUT_OF_MEMORY for a failed wasm
 * allocation, EXECUTION_FAILED wrapping anything else (a WebAssembly RuntimeError
 * included), never the bare error.
 */
import { AmctError, describe, SessionError } from '../errors';
import type { Graph } from '../ir';
import { log } from '../log';
import { wrapExecutionError } from './execute';
import { tf } from './tfjs';
import { formatBytes, WASM_HEAP_MAX, WasmOutOfMemory } from './wasm-memory';

export class RunScope {
  private kept: tf.Tensor[] = [];
  private ended = false;

  constructor() {
    tf.engine().startScope();
  }

  /** The run's results: the tensors among them outlive the scope. */
  keep(results: unknown[]): void {
    this.kept = results.filter((r): r is tf.Tensor => r instanceof tf.Tensor);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      tf.engine().endScope(this.kept);
    } catch (e) {
      // Freeing failed only if the backend is already broken; the run's own error says why.
      log.warn(`freeing a run's tensors failed: ${describe(e)}`);
    }
  }
}

/** The WasmOutOfMemory behind `e` (thrown directly or wrapped by a kernel), if any. */
function outOfMemory(e: unknown): WasmOutOfMemory | undefined {
  for (let c = e, depth = 0; c !== undefined && c !== null && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    if (c instanceof WasmOutOfMemory) return c;
  }
  return undefined;
}

export function isOutOfMemory(e: unknown): boolean {
  return outOfMemory(e) !== undefined;
}

export function runFailure(e: unknown, graph: Graph): AmctError {
  const oom = outOfMemory(e);
  if (oom) {
    const node = e instanceof AmctError ? e.node : undefined;
    return new SessionError('OUT_OF_MEMORY', `${node ? `node ${node}: ` : ''}${oom.message}; the run was stopped and its tensors freed`, {
      node,
      cause: e,
      hint: `the run needs more than the wasm backend's ${formatBytes(WASM_HEAP_MAX)}: feed smaller batches`,
    });
  }
  if (e instanceof AmctError && !(e.cause instanceof AmctError)) {
    const feed = feedProblem(describe(e.cause ?? ''));
    if (feed) return feed;
  }
  return e instanceof AmctError ? e : wrapExecutionError(e, graph);
}

/**
 * tfjs checks feeds of intermediate tensors (a graph's Placeholders we check ourselves)
 * against the node's dtype and shape: "The dtype of dict['mm'] provided in
 * model.execute(dict) must be float32, but was int32". That is a feed problem.
 */
function feedProblem(message: string): AmctError | undefined {
  const m = /The (dtype|shape) of dict\['([^']+)'\] provided in model\.execute\(dict\) must be (.*)/.exec(message);
  if (!m) return undefined;
  const [, what, tensor, rest] = m;
  const node = tensor.replace(/:\d+$/, '');
  return new SessionError(what === 'dtype' ? 'FEED_DTYPE_MISMATCH' : 'FEED_SHAPE_MISMATCH', `feed "${tensor}" does not match the tensor it replaces: its ${what} must be ${rest}`, {
    node,
    hint: `feed ${node} a tensor of its ${what}, or feed the graph's placeholders instead`,
  });
}
