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
import { causeOfType } from './wasm-health';
import { formatBytes, WASM_HEAP_MAX, WasmOutOfMemory } from './wasm-memory';

/** The engine's scope stack (internal to tfjs; read only to repair it, see end()). */
interface EngineState {
  scopeStack: unknown[];
  activeScope: unknown;
}

function engineState(): EngineState {
  return (tf.engine() as unknown as { state: EngineState }).state;
}

export class RunScope {
  private kept: tf.Tensor[] = [];
  private ended = false;
  private readonly depth: number;

  constructor() {
    tf.engine().startScope();
    this.depth = engineState().scopeStack.length;
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
      // Freeing fails only on a broken backend (the run's own error says why). endScope
      // threw before popping our scope: pop it, or every later tensor would be tracked
      // in a scope nobody ends.
      log.warn(`freeing a run's tensors failed: ${describe(e)}`);
      const state = engineState();
      while (state.scopeStack.length >= this.depth) state.scopeStack.pop();
      state.activeScope = state.scopeStack.length > 0 ? state.scopeStack[state.scopeStack.length - 1] : null;
    }
  }
}

/** The WasmOutOfMemory behind `e` (thrown directly or wrapped by a kernel), if any. */
function outOfMemory(e: unknown): WasmOutOfMemory | undefined {
  return causeOfType(e, WasmOutOfMemory);
}

export function isOutOfMemory(e: unknown): boolean {
  return outOfMemory(e) !== undefined;
}

/** `restarted`: the failure broke the wasm backend, which was replaced (wasm-health.ts). */
export function runFailure(e: unknown, graph: Graph, restarted = false): AmctError {
  const error = classify(e, graph);
  if (!restarted) return error;
  return new SessionError(error.code, `${error.detail}; it left the wasm backend broken, which was restarted: sessions reload their weights on their next run, tensors you made on wasm before are lost`, {
    node: error.node,
    cause: e,
    hint: error.hint,
  });
}

function classify(e: unknown, graph: Graph): AmctError {
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
