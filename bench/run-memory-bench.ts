/**
 * Memory across runs (issue 11, item 1) on @vladmandic/human's handtrack, an SSD
 * detector with NonMaxSuppression/While control flow: the float graph, the calibration
 * graph and the INT8 graph saveModel writes, each run N times on wasm after warm-up.
 * Prints per graph the tensor count, tf bytes and wasm heap before and after, and the
 * growth per run (0 when nothing leaks; before the fix the INT8 graph grew by ~1,480
 * tensors and ~710 MB per run).
 * Run: npx ts-node --transpile-only bench/run-memory-bench.ts [runs=20] [backend=wasm]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { createQuantConfig, loadGraph, quantizeModel, saveGraph, saveModel, Session } from '../src';
import type { BackendName, Graph } from '../src';
import { wasmHeapBytes } from '../src/runtime/wasm-memory';
import { humanModel } from '../__tests__/helpers/models';
import { mib } from './bench-models';

const RUNS = Number(process.argv[2] ?? 20);
const BACKEND = (process.argv[3] ?? 'wasm') as BackendName;
const WARM_UP = 3;
const MODEL = humanModel('handtrack').path;
const OUTPUTS = ['Identity', 'Identity_1', 'Identity_2', 'Identity_3', 'Identity_4', 'Identity_5', 'Identity_6', 'Identity_7'];
const FEED = { input_tensor: { data: Int32Array.from({ length: 320 * 320 * 3 }, (_, i) => (i * 7) % 256), shape: [1, 320, 320, 3] } };

async function measure(label: string, graph: Graph, fetches: string[]): Promise<void> {
  const session = await Session.create(graph, { backend: BACKEND });
  for (let i = 0; i < WARM_UP; i++) await session.run(fetches, FEED);
  const t0 = tf.memory().numTensors;
  const b0 = tf.memory().numBytes;
  const h0 = wasmHeapBytes();
  for (let i = 0; i < RUNS; i++) await session.run(fetches, FEED);
  const t1 = tf.memory().numTensors;
  const b1 = tf.memory().numBytes;
  const h1 = wasmHeapBytes();
  console.log(`| ${label} | ${t0} → ${t1} | ${mib(b0)} → ${mib(b1)} | ${mib(h0)} → ${mib(h1)} | ${((t1 - t0) / RUNS).toFixed(1)} tensors, ${mib((b1 - b0) / RUNS)} |`);
  session.dispose();
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-run-memory-'));
  try {
    const float = await loadGraph(MODEL);
    console.log(`handtrack on ${BACKEND}, ${RUNS} runs after ${WARM_UP} warm-up runs\n`);
    console.log('| graph | tensors | tf bytes | wasm heap | growth per run |\n|---|---|---|---|---|');
    await measure('float', float.clone(), OUTPUTS);
    const config = path.join(dir, 'config.json');
    const record = path.join(dir, 'record.txt');
    await createQuantConfig(config, float, { batchNum: 1 });
    const calibration = float.clone();
    const { calibOutputs } = await quantizeModel(calibration, config, record, { calibOutputs: OUTPUTS });
    await measure('calibration', calibration, calibOutputs);
    const pb = path.join(dir, 'handtrack.pb');
    await saveGraph(float, pb);
    const saved = await saveModel(pb, OUTPUTS, record, path.join(dir, 'handtrack'));
    await measure('INT8', await loadGraph(saved.quantizedPb), OUTPUTS);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
