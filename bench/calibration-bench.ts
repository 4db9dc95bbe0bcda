/**
 * Calibration cost on a real model (nsfwjs mobilenet_v2_mid by default, or BlazeFace):
 * Session.run on the calibration graph (quantizeModel's QuantIfmr/QuantArq nodes feeding
 * the streaming accumulators) against Session.run on the float graph, same backend, same
 * batches of real photos, timed in alternation in this one process (medians). Two
 * calibration sessions run side by side: the default (large layers binned on the
 * statistics thread, src/runtime/statistics) and { statisticsThread: false } (everything on
 * the main thread, as before). Wall clock is what the user waits; process CPU time counts
 * both threads. Also the calibration state's memory, the RSS growth, and the one-off cost
 * of the last run, which computes every layer's scale/offset and writes the record.
 *
 *   npx ts-node --transpile-only bench/calibration-bench.ts [runs=15] [batchSize=1] [backend=wasm] [model=nsfwjs|blazeface]
 */
import { createHash } from 'crypto';
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
// Six warm-up runs: under ts-node the statistics thread (thread.ts through ts-node's
// require hook) reaches full speed only after about five runs; from dist/ after one.
const WARMUP = 6;

/** Main-thread CPU ms spent inside IfmrAccumulator.add (the statistics), per run. */
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

interface Side {
  name: string;
  run: (i: number) => Promise<unknown>;
  wall: number[];
  cpu: number[];
  stats: number[];
  last?: number;
}

async function timed(side: Side, i: number, keep: boolean): Promise<number> {
  const [w0, c0] = [performance.now(), cpuMs()];
  statsMs = 0;
  await side.run(i);
  const wall = performance.now() - w0;
  if (keep) {
    side.wall.push(wall);
    side.cpu.push(cpuMs() - c0);
    side.stats.push(statsMs);
  }
  return wall;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

async function calibrationSide(name: string, dir: string, total: number, feeds: Record<string, unknown>[], statisticsThread: boolean) {
  const graph = await MODEL.load();
  const config = path.join(dir, `${name}.json`);
  const record = path.join(dir, `${name}.txt`);
  await createQuantConfig(config, graph, { batchNum: total });
  const q = await quantizeModel(graph, config, record, { calibOutputs: outputsOf(graph) });
  const session = await Session.create(graph, { backend: BACKEND, statisticsThread });
  const side: Side = { name, run: (i) => session.run(q.calibOutputs, feeds[i] as never), wall: [], cpu: [], stats: [] };
  return { side, session, record, nodes: q.inserted.activation.size };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-calib-bench-'));
  const total = WARMUP + RUNS + 1; // the last calibration run completes batch_num and writes the record
  const floatGraph = await MODEL.load();
  const outputs = outputsOf(floatGraph);
  const input = inputOf(floatGraph, BATCH);
  const feeds = (await photoBatches(total, input.shape, MODEL.preprocess)).map((b) => ({ [input.name]: b }));
  const plainSession = await Session.create(floatGraph, { backend: BACKEND });
  const plain: Side = { name: 'plain', run: (i) => plainSession.run(outputs, feeds[i]), wall: [], cpu: [], stats: [] };
  const threaded = await calibrationSide('thread', dir, total, feeds, true);
  const inline = await calibrationSide('main-thread', dir, total, feeds, false);
  const rss0 = process.memoryUsage().rss;
  let rssWarm = rss0;
  for (let i = 0; i < total - 1; i++) {
    for (const side of [plain, threaded.side, inline.side]) await timed(side, i, i >= WARMUP);
    if (i === WARMUP - 1) rssWarm = process.memoryUsage().rss;
  }
  const rss1 = process.memoryUsage().rss;
  const memory = calibrationMemoryBytes(inline.session);
  for (const c of [threaded, inline]) c.side.last = await timed(c.side, total - 1, false);
  const [a, b] = await Promise.all([readRecord(threaded.record), readRecord(inline.record)]);
  const same = fs.readFileSync(threaded.record, 'utf8') === fs.readFileSync(inline.record, 'utf8');
  console.log(`${MODEL.name}, [${input.shape.join(', ')}] on ${BACKEND}; ${RUNS} timed runs each after ${WARMUP} warm-up, alternating; ${threaded.nodes} calibration nodes`);
  const p = { wall: median(plain.wall), cpu: median(plain.cpu) };
  console.log(`plain Session.run (float graph): wall ${p.wall.toFixed(1)} ms, process CPU ${p.cpu.toFixed(1)} ms (medians)`);
  for (const c of [threaded, inline]) {
    const [w, cpu, st] = [median(c.side.wall), median(c.side.cpu), median(c.side.stats)];
    console.log(`calibration (${c.side.name.padEnd(11)}): wall ${w.toFixed(1)} ms = ${(w / p.wall).toFixed(2)}x plain, process CPU ${cpu.toFixed(1)} ms = ${(cpu / p.cpu).toFixed(2)}x; ` +
      `IfmrAccumulator.add on the main thread ${st.toFixed(1)} ms; last run (results + record) ${c.side.last!.toFixed(0)} ms`);
  }
  const digest = createHash('sha256').update(fs.readFileSync(threaded.record)).digest('hex').slice(0, 16);
  console.log(`records: ${a.size} / ${b.size} layers, byte-identical: ${same}; sha256 ${digest} (compare across runs, e.g. with AMCT_WASM_BINNING=0)`);
  console.log(`accumulators: ${mib(memory)} total (${mib(memory / inline.nodes)} per node)`);
  console.log(`RSS growth: ${mib(rssWarm - rss0)} over the ${WARMUP} warm-up runs (accumulators, buffers, the thread, wasm heap), ${mib(rss1 - rssWarm)} over the next ${RUNS}`);
  for (const s of [plainSession, threaded.session, inline.session]) s.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
