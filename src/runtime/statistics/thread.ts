/**
 * The statistics thread: holds the streaming accumulators of large calibration layers
 * and feeds them the batches the kernels copy over (see accumulator.ts for why). It runs
 * the same code as the main thread would (src/calib), batch by batch in arrival order, so
 * the results are the same bit for bit. After a layer's batch_num-th batch it computes
 * the layer's scale/offset right away, while the main thread is still running the model;
 * every `shareEvery`-th such search it hands back instead, for the main thread to finish
 * once the model has run, so on the last batch both cores search.
 */
import { parentPort } from 'worker_threads';
import { HfmgAccumulator, IfmrAccumulator } from '../../calib';
import { buildAccumulator, serializeError } from './protocol';
import type { AccumulatorSpec, AddReply, StatisticsRequest } from './protocol';

interface Entry {
  spec: AccumulatorSpec;
  accumulator: IfmrAccumulator | HfmgAccumulator;
  batchNum: number;
  shareEvery: number;
}

const entries = new Map<number, Entry>();
let searchesFinished = 0;

function add(id: number, data: Float32Array): AddReply {
  const entry = entries.get(id);
  if (!entry) return { id, data, bytes: 0, error: serializeError(new Error(`no accumulator ${id}`)) };
  const layer = entry.spec.options.layer;
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

parentPort!.on('message', (m: StatisticsRequest) => {
  if (m.type === 'create') {
    entries.set(m.id, { spec: m.spec, accumulator: buildAccumulator(m.spec), batchNum: m.batchNum, shareEvery: m.shareEvery });
  } else if (m.type === 'drop') {
    entries.delete(m.id);
  } else {
    const reply = add(m.id, m.data);
    const transfer = [reply.data.buffer as ArrayBuffer];
    if (reply.search) transfer.push(reply.search.model.n.buffer as ArrayBuffer, reply.search.model.mean.buffer as ArrayBuffer, reply.search.model.half.buffer as ArrayBuffer);
    parentPort!.postMessage(reply, transfer);
  }
});
