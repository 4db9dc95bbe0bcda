/**
 * What a Session's calibration kernels (accumulator.ts) and the statistics threads
 * (thread.ts) exchange, and what both sides build from it. Batches travel as transferred
 * ArrayBuffers and come back with the reply, so each layer reuses one buffer instead of
 * allocating one per batch.
 */
import { HfmgAccumulator, IfmrAccumulator } from '../../calib';
import type { HfmgAccumulatorState, HfmgParams, IfmrAccumulatorOptions, IfmrAccumulatorState, IfmrSearchInput, ScaleOffset } from '../../calib';
import { AmctError, CalibrationError, ErrorCode, SessionError } from '../../errors';

/** Which accumulator to build, with the options its constructor takes. */
export type AccumulatorSpec = { algo: 'ifmr'; options: IfmrAccumulatorOptions } | { algo: 'hfmg'; options: HfmgParams };

/** An accumulator's statistics so far (its `state()`), when it moves to the statistics thread after some batches. */
export type AccumulatorState = IfmrAccumulatorState | HfmgAccumulatorState;

/** The accumulator a spec describes, empty or going on from `state` (both threads build it the same way). */
export function buildAccumulator(spec: AccumulatorSpec, state?: AccumulatorState): IfmrAccumulator | HfmgAccumulator {
  return spec.algo === 'ifmr' ? new IfmrAccumulator(spec.options, state as IfmrAccumulatorState | undefined) : new HfmgAccumulator(spec.options, state as HfmgAccumulatorState | undefined);
}

/** The ArrayBuffers of a state, to transfer rather than copy. */
export function stateBuffers(state: AccumulatorState): ArrayBuffer[] {
  if ('counts' in state) return [state.counts.buffer as ArrayBuffer];
  const tails = state.tails ? [state.tails.top.buf, state.tails.top.saved, state.tails.bottom.buf, state.tails.bottom.saved] : [];
  return [state.hist.bins, ...tails].map((a) => a.buffer as ArrayBuffer);
}

/** An AmctError as plain data (classes do not survive structured cloning). */
export interface SerializedError {
  name: string;
  code: string;
  detail: string;
  layer?: string;
  node?: string;
  hint?: string;
}

export type StatisticsRequest =
  /** `shareEvery`: hand back every n-th finished IFMR search of this thread (0: none). */
  | { type: 'create'; id: number; spec: AccumulatorSpec; batchNum: number; shareEvery: number; state?: AccumulatorState }
  | { type: 'add'; id: number; data: Float32Array }
  /** Hand the accumulator back (its state), and forget it here. */
  | { type: 'export'; id: number }
  | { type: 'drop'; id: number };

/** The reply to every 'add', in order per accumulator. */
export interface AddReply {
  id: number;
  /** The batch's buffer, handed back for the next batch. */
  data: Float32Array;
  /** Set when the batch was rejected; the accumulator is as it was before it. */
  error?: SerializedError;
  /** After the batch_num-th batch: the scale/offset (or why there is none). */
  result?: ScaleOffset;
  resultError?: SerializedError;
  /** Instead of `result`: the IFMR search, for the main thread to finish (searchResult). */
  search?: IfmrSearchInput;
  /** The accumulator's memory after this batch. */
  bytes: number;
}

/** What the thread posts: a reply per batch, an exported accumulator, and once, after its warm-up, that it is ready. */
export type ThreadMessage = AddReply | { ready: true } | { exported: number; state?: AccumulatorState };

/** `layer`: the layer whose statistics failed, named when `e` is not an AmctError (a bug, not bad data). */
export function serializeError(e: unknown, layer?: string): SerializedError {
  if (e instanceof AmctError) return { name: e.name, code: e.code, detail: e.detail, layer: e.layer, node: e.node, hint: e.hint };
  return {
    name: 'Error',
    code: 'EXECUTION_FAILED',
    detail: `the statistics thread failed: ${e instanceof Error ? e.message : String(e)}`,
    layer,
    hint: 'create the Session with { statisticsThread: false } to calibrate on the main thread, and report the error',
  };
}

/** The error again, as the class the user catches (CalibrationError for bad data). */
export function reviveError(e: SerializedError): AmctError {
  const context = { layer: e.layer, node: e.node, hint: e.hint };
  const code = e.code as ErrorCode;
  return e.name === 'CalibrationError' ? new CalibrationError(code, e.detail, context) : new SessionError(code, e.detail, context);
}
