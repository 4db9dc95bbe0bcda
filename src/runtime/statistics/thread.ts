/**
 * The statistics thread: holds the streaming accumulators of large calibration layers
 * and feeds them the batches the kernels copy over (see accumulator.ts for why). It runs
 * the same code as the main thread would (src/calib), batch by batch in arrival order, so
 * the results are the same bit for bit. After a layer's batch_num-th batch it computes
 * the layer's scale/offset right away, while the main thread is still running the model;
 * every `shareEvery`-th such search it hands back instead, for the main thread to finish
 * once the model has run, so on the last batch both cores search.
 */
import { parentPort, workerData } from 'worker_threads';
import { HfmgAccumulator, IfmrAccumulator } from '../../calib';
import { buildAccumulator, serializeError, stateBuffers } from './protocol';
import type { AccumulatorSpec, AddReply, StatisticsRequest } from './protocol';

interface Entry {
  /** Named in errors. */
  layer: string | undefined;
  accumulator: IfmrAccumulator | HfmgAccumulator;
  batchNum: number;
  shareEvery: number;
}

const entries = new Map<number, Entry>();
let searchesFinished = 0;
/** Values binned so far, and busy ms so far (pool.ts: backlog; placement.ts: planMoves), shared with the main thread. */
const binned: Int32Array | undefined = workerData?.binned;
const busy: Float64Array | undefined = workerData?.busy;

function add(id: number, data: Float32Array): AddReply {
  const entry = entries.get(id);
  if (!entry) return { id, data, bytes: 0, error: serializeError(new Error(`no accumulator ${id}`)) };
  const layer = entry.layer;
  const reply: AddReply = { id, data, bytes: 0 };
  try {
    entry.accumulator.add(data);
  } catch (e) {
    reply.error = serializeError(e, layer);
  }
  if (!reply.error && entry.accumulator.batchesSeen === entry.batchNum) {
    try {
      const share = entry.shareEvery > 0 && entry.accumulator instanceof IfmrAccumulator && ++searchesFinished % entry.shareEvery === 0;
      if (share) reply.search = (entry.accumulator as IfmrAccumulator).searchInput();
      else reply.result = entry.accumulator.result();
    } catch (e) {
      reply.resultError = serializeError(e, layer);
    }
  }
  reply.bytes = entry.accumulator.memoryBytes();
  return reply;
}

/**
 * Runs the accumulators' loops on made-up data before the first real batch. The main
 * thread places layers by this thread's backlog in the first run, so a thread still
 * running its loops unoptimized then would push layers to the main thread for the whole
 * calibration. Two batches, so the second reaches the optimized code.
 */
function warmUp(): void {
  const data = new Float32Array(1 << 16);
  let seed = 1;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = i % 5 === 0 ? 0 : (seed / 2 ** 32 - 0.3) * 6;
  }
  const specs: AccumulatorSpec[] = [
    { algo: 'ifmr', options: { maxPercentile: 0.999999, minPercentile: 0.999999, searchRange: [0.7, 1.3], searchStep: 0.01, asymmetric: true, batchNum: 2 } },
    { algo: 'hfmg', options: { asymmetric: true } },
  ];
  for (const spec of specs) {
    const accumulator = buildAccumulator(spec);
    accumulator.add(data);
    accumulator.add(data);
  }
}

parentPort!.on('message', (m: StatisticsRequest) => {
  if (m.type === 'create') {
    entries.set(m.id, { layer: m.spec.options.layer, accumulator: buildAccumulator(m.spec, m.state), batchNum: m.batchNum, shareEvery: m.shareEvery });
  } else if (m.type === 'drop') {
    entries.delete(m.id);
  } else if (m.type === 'export') {
    const state = entries.get(m.id)?.accumulator.state();
    entries.delete(m.id);
    parentPort!.postMessage({ exported: m.id, state }, state ? stateBuffers(state) : []);
  } else {
    const started = performance.now();
    const reply = add(m.id, m.data);
    if (busy) busy[0] += performance.now() - started;
    if (binned) Atomics.add(binned, 0, m.data.length);
    const transfer = [reply.data.buffer as ArrayBuffer];
    if (reply.search) transfer.push(reply.search.model.n.buffer as ArrayBuffer, reply.search.model.mean.buffer as ArrayBuffer, reply.search.model.half.buffer as ArrayBuffer);
    parentPort!.postMessage(reply, transfer);
  }
});

try {
  warmUp();
} finally {
  parentPort!.postMessage({ ready: true });
}
