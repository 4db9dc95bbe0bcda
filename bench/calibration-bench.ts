/**
 * Calibration cost on a real model (nsfwjs mobilenet_v2_mid by default, or BlazeFace):
 * Session.run on the calibration graph (quantizeModel's QuantIfmr/QuantArq nodes feeding
 * the streaming accumulators) against Session.run on the float graph, same backend, same
 * batches of real photos, timed in alternation in this one process (medians). Also the
 * calibration state's memory (the accumulators' memoryBytes, constant after the first
 * batch) and the process RSS growth over the calibration, and the one-off cost of the
 * last run, which computes every layer's scale/offset and writes the record.
 *
 *   npx ts-node --transpile-only bench/calibration-bench.ts [runs=15] [batchSize=1] [backend=wasm] [model=nsfwjs|blazeface]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createQuantConfig, quantizeModel } from '../src/api';
import { BackendName, Session } from '../src/runtime';
import { calibrationMemoryBytes } from '../src/runtime/kernels/calibration';
import { readRecord } from '../src/record';
import { IfmrAccumulator } from '../src/calib';
import { cpuMs, inputOf, median, modelsFromArg, outputsOf, photoBatches } from './bench-models';

const RUNS = Number(process.argv[2] ?? 15);
const BATCH = Number(process.argv[3] ?? 1);
const BACKEND = (process.argv[4] ?? 'wasm') as BackendName;
const [MODEL] = modelsFromArg(process.argv[5] ?? 'nsfwjs');
const WARMUP = 2;

/** Process CPU ms spent inside IfmrAccumulator.add (the statistics), summed per run. */
let statsMs = 0;
const add = IfmrAccumulator.prototype.add;
IfmrAccumulator.prototype.add = function (this: IfmrAccumulator, batch: Float32Array) {
  const c0 = cpuMs();
  try {
    return add.call(this, batch);
  } finally {
    statsMs += cpuMs() - c0;
  }
};

const cpuTimes: number[][] = [[], []];
const statTimes: number[] = [];

/** Wall ms; the process CPU ms goes to cpuTimes[side]. */
async function timed(fn: () => Promise<unknown>, side?: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  const c0 = cpuMs();
  statsMs = 0;
  await fn();
  if (side !== undefined) cpuTimes[side].push(cpuMs() - c0);
  if (side === 1) statTimes.push(statsMs);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-calib-bench-'));
  const total = WARMUP + RUNS + 1; // the last calibration run completes batch_num and writes the record
  const floatGraph = await MODEL.load();
  const calibGraph = await MODEL.load();
  const outputs = outputsOf(floatGraph);
  const input = inputOf(floatGraph, BATCH);
  const feeds = (await photoBatches(total, input.shape, MODEL.preprocess)).map((b) => ({ [input.name]: b }));
  const config = path.join(dir, 'config.json');
  const record = path.join(dir, 'record.txt');
  await createQuantConfig(config, calibGraph, { batchNum: total });
  const q = await quantizeModel(calibGraph, config, record, { calibOutputs: outputs });
  const plain = await Session.create(floatGraph, { backend: BACKEND });
  const calib = await Session.create(calibGraph, { backend: BACKEND });
  const rss0 = process.memoryUsage().rss;
  let rssWarm = rss0;
  const [tPlain, tCalib]: number[][] = [[], []];
  for (let i = 0; i < total - 1; i++) {
    const a = await timed(() => plain.run(outputs, feeds[i]), i >= WARMUP ? 0 : undefined);
    const b = await timed(() => calib.run(q.calibOutputs, feeds[i]), i >= WARMUP ? 1 : undefined);
    if (i >= WARMUP) tPlain.push(a), tCalib.push(b);
    if (i === WARMUP - 1) rssWarm = process.memoryUsage().rss;
  }
  const memory = calibrationMemoryBytes(calib);
  const rss1 = process.memoryUsage().rss;
  const last = await timed(() => calib.run(q.calibOutputs, feeds[total - 1]));
  const layers = (await readRecord(record)).size;
  const [p, c] = [median(tPlain), median(tCalib)];
  console.log(`${MODEL.name}, [${input.shape.join(', ')}] on ${calib.backend}; ${RUNS} timed runs each after ${WARMUP} warm-up, alternating`);
  console.log(`plain Session.run (float graph):        ${p.toFixed(1)} ms (median)`);
  console.log(`calibration Session.run:                ${c.toFixed(1)} ms (median)`);
  console.log(`ratio calibration / plain:              ${(c / p).toFixed(2)}x (wall)`);
  const [pc, cc, st] = [median(cpuTimes[0]), median(cpuTimes[1]), median(statTimes)];
  console.log(`process CPU time: plain ${pc.toFixed(1)} ms, calibration ${cc.toFixed(1)} ms, ratio ${(cc / pc).toFixed(2)}x; of it in IfmrAccumulator.add ${st.toFixed(1)} ms`);
  console.log(`last run (results + record, ${layers} keys): ${last.toFixed(0)} ms`);
  console.log(`accumulators: ${q.inserted.activation.size} nodes, ${mib(memory)} total (${mib(memory / q.inserted.activation.size)} per node)`);
  console.log(`RSS growth: ${mib(rssWarm - rss0)} over the ${WARMUP} warm-up runs (accumulators, cached weights, wasm heap), ${mib(rss1 - rssWarm)} over the next ${RUNS}`);
  plain.dispose();
  calib.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
