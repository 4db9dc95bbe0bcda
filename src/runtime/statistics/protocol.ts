/**
 * Messages between a Session's calibration kernels and the statistics thread
 * (thread.ts). Batches travel as transferred ArrayBuffers and come back with the reply,
 * so each layer reuses one buffer instead of allocating one per batch.
 */
import type { HfmgParams, IfmrAccumulatorOptions, IfmrSearchInput, ScaleOffset } from '../../calib';

/** Which accumulator to build, with the options its constructor takes. */
export type AccumulatorSpec = { algo: 'ifmr'; options: IfmrAccumulatorOptions } | { algo: 'hfmg'; options: HfmgParams };

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
  | { type: 'create'; id: number; spec: AccumulatorSpec; batchNum: number; shareEvery: number }
  | { type: 'add'; id: number; data: Float32Array }
  | { type: 'drop'; ids: number[] };

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
