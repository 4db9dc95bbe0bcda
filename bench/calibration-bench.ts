/**
 * Calibration cost on the largest real test model (nsfwjs mobilenet_v2_mid, 224×224×3):
 * Session.run on the calibration graph (quantizeModel's QuantIfmr/QuantArq nodes feeding
 * the streaming accumulators) against Session.run on the float graph, same backend, same
 * batches of real photos, timed in alternation in this one process (medians). Also the
 * calibration state's memory (the accumulators' memoryBytes, constant after the first
 * batch) and the process RSS growth over the calibration, and the one-off cost of the
 * last run, which computes every layer's scale/offset and writes the record.
 *
 *   npx ts-node --transpile-only bench/calibration-bench.ts [runs=15] [batchSize=1] [backend=wasm]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createQuantConfig, quantizeModel } from '../src/api';
import { preprocessImage, readImage } from '../src/data';
import { graphFromArtifacts } from '../src/io';
import type { Graph } from '../src/ir';
import { BackendName, Session } from '../src/runtime';
import { calibrationMemoryBytes } from '../src/runtime/kernels/calibration';
import { readRecord } from '../src/record';
import { nsfwjsArtifacts } from '../__tests__/helpers/models';
import { IfmrAccumulator } from '../src/calib';
import { cpuMs, median as med } from './bench-models';

const RUNS = Number(process.argv[2] ?? 15);
const BATCH = Number(process.argv[3] ?? 1);
const BACKEND = (process.argv[4] ?? 'wasm') as BackendName;
const WARMUP = 2;
const OUTPUT = 'Identity';
const SAMPLES = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function loadModel(): Graph {
  const { modelJson, weightData } = nsfwjsArtifacts();
  return graphFromArtifacts(modelJson as never, weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer);
}

/** `count` batches of BATCH photos each, 224×224 RGB scaled to [0, 1] as nsfwjs feeds them. */
async function batches(count: number): Promise<{ data: Float32Array; shape: number[] }[]> {
  const files = fs.readdirSync(SAMPLES).filter((f) => f.endsWith('.jpg')).sort().map((f) => path.join(SAMPLES, f));
  const images = await Promise.all(files.map(async (f) => preprocessImage(await readImage(f), { size: [224, 224], unitRange: true }).data));
  return Array.from({ length: count }, (_, b) => {
    const data = new Float32Array(BATCH * 224 * 224 * 3);
    for (let i = 0; i < BATCH; i++) data.set(images[(b * BATCH + i) % images.length], i * 224 * 224 * 3);
    return { data, shape: [BATCH, 224, 224, 3] };
  });
}

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
  const feeds = await batches(total);
  const floatGraph = loadModel();
  const calibGraph = loadModel();
  const config = path.join(dir, 'config.json');
  const record = path.join(dir, 'record.txt');
  await createQuantConfig(config, calibGraph, { batchNum: total });
  const q = await quantizeModel(calibGraph, config, record, { calibOutputs: [OUTPUT] });
  const plain = await Session.create(floatGraph, { backend: BACKEND });
  const calib = await Session.create(calibGraph, { backend: BACKEND });
  const rss0 = process.memoryUsage().rss;
  let rssWarm = rss0;
  const [tPlain, tCalib]: number[][] = [[], []];
  for (let i = 0; i < total - 1; i++) {
    const a = await timed(() => plain.run(OUTPUT, { input: feeds[i] }), i >= WARMUP ? 0 : undefined);
    const b = await timed(() => calib.run(q.calibOutputs[0], { input: feeds[i] }), i >= WARMUP ? 1 : undefined);
    if (i >= WARMUP) tPlain.push(a), tCalib.push(b);
    if (i === WARMUP - 1) rssWarm = process.memoryUsage().rss;
  }
  const memory = calibrationMemoryBytes(calib);
  const rss1 = process.memoryUsage().rss;
  const last = await timed(() => calib.run(q.calibOutputs[0], { input: feeds[total - 1] }));
  const layers = (await readRecord(record)).size;
  const [p, c] = [median(tPlain), median(tCalib)];
  console.log(`nsfwjs mobilenet_v2_mid, ${BATCH}x224x224x3 on ${calib.backend}; ${RUNS} timed runs each after ${WARMUP} warm-up, alternating`);
  console.log(`plain Session.run (float graph):        ${p.toFixed(1)} ms (median)`);
  console.log(`calibration Session.run:                ${c.toFixed(1)} ms (median)`);
  console.log(`ratio calibration / plain:              ${(c / p).toFixed(2)}x (wall)`);
  const [pc, cc, st] = [med(cpuTimes[0]), med(cpuTimes[1]), med(statTimes)];
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
