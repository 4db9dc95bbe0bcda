/**
 * Peak resident memory (process maxRSS) of the two heavy steps on the largest test model
 * (nsfwjs mobilenet_v2_mid), each in a fresh child process so one does not inherit the
 * other's heap:
 *   calibration: loadGraph, createQuantConfig, quantizeModel, Session.create (wasm),
 *                batch_num = 2 runs on photos (the second writes the record), with the
 *                statistics thread (the default) and without;
 *   save:        saveModel from the .pb and that record.
 * Also the maxRSS of a child that only loads the model, as the floor.
 *
 *   npx ts-node --transpile-only bench/memory-bench.ts
 *
 * Under ts-node every process also holds the TypeScript compiler, and the statistics thread
 * compiles its own sources (~80–130 MiB more for calibration). What a user of the package
 * sees, from compiled JavaScript (the thread then loads thread.js):
 *
 *   npx tsc -p tsconfig.json --outDir node_modules/.cache/amct-bench-js && cp -r schema node_modules/.cache/amct-bench-js/ &&
 *     node node_modules/.cache/amct-bench-js/bench/memory-bench.js
 *
 * (inside node_modules, so the compiled files find the packages and git ignores them)
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createQuantConfig, quantizeModel } from '../src/api';
import { saveModel } from '../src/api/save-model';
import { loadGraph, saveGraph } from '../src/io';
import { Session } from '../src/runtime';
import { BENCH_MODELS, inputOf, outputsOf, photoBatches } from './bench-models';

const maxRssMiB = () => process.resourceUsage().maxRSS / 1024;

async function child(step: string, dir: string): Promise<void> {
  const pb = path.join(dir, 'model.pb');
  const record = path.join(dir, 'record.txt');
  if (step === 'prepare') {
    const graph = await BENCH_MODELS.nsfwjs.load();
    await saveGraph(graph, pb);
    fs.writeFileSync(path.join(dir, 'outputs.json'), JSON.stringify(outputsOf(graph)));
  } else if (step === 'load') {
    await loadGraph(pb);
  } else if (step === 'calibration' || step === 'calibration-main-thread') {
    const graph = await loadGraph(pb);
    const outputs = outputsOf(graph);
    const input = inputOf(graph);
    const batches = await photoBatches(2, input.shape, BENCH_MODELS.nsfwjs.preprocess);
    await createQuantConfig(path.join(dir, 'config.json'), graph, { batchNum: 2 });
    const q = await quantizeModel(graph, path.join(dir, 'config.json'), record, { calibOutputs: outputs });
    const session = await Session.create(graph, { backend: 'wasm', statisticsThread: step === 'calibration' });
    for (const b of batches) await session.run(q.calibOutputs, { [input.name]: b });
    session.dispose();
  } else if (step === 'save') {
    // The outputs from the prepare step: a graph loaded here would stay alive beside saveModel's.
    await saveModel(pb, JSON.parse(fs.readFileSync(path.join(dir, 'outputs.json'), 'utf8')), record, path.join(dir, 'deploy'));
  }
  process.stdout.write(`${maxRssMiB().toFixed(1)}\n`);
}

function run(step: string, dir: string): number {
  const out = execFileSync(process.execPath, [...process.execArgv, __filename, step, dir], { encoding: 'utf8' });
  return Number(out.trim().split('\n').pop());
}

async function main(): Promise<void> {
  if (process.argv[2]) return child(process.argv[2], process.argv[3]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-memory-bench-'));
  try {
    run('prepare', dir);
    const load = run('load', dir);
    const calibration = run('calibration', dir);
    const mainThread = run('calibration-main-thread', dir);
    const save = run('save', dir);
    console.log(`nsfwjs mobilenet_v2_mid, peak RSS (maxRSS) of a fresh process:`);
    console.log(`  loadGraph only:                         ${load.toFixed(0)} MiB`);
    console.log(`  calibration (2 batches, wasm, record):  ${calibration.toFixed(0)} MiB (statistics thread, the default)`);
    console.log(`  the same, statisticsThread: false:      ${mainThread.toFixed(0)} MiB`);
    console.log(`  saveModel:                              ${save.toFixed(0)} MiB`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
