/**
 * saveModel benchmark on nsfwjs mobilenet_v2_mid (the largest real model we can make a
 * record for: 64 quantizable layers incl. depthwise, residual Adds, AvgPool, MatMul).
 *
 * 1. saveModel(.pb) time against a bare decode + encode of the same .pb bytes: protobufjs
 *    GraphDef.decode + encode with the same schema, and our decodeGraphDef + encodeGraphDef.
 *    saveModel also reads the record, prepares, plans, emits, validates and writes two
 *    files atomically (with fsync), so the ratio is the cost of all that on top of the codec.
 *    A third denominator is saveModel's file I/O alone, without the codec: the .pb and the
 *    record read from disk, and saveModel's two outputs written again the way it writes
 *    them (temps, fsync, renames over the old files).
 * 2. Session time of the quantized graph against the float graph on the same input, per
 *    backend: the price of simulating the Ascend ops with tfjs ops.
 * Medians of interleaved runs measured in this one process, wall clock and process CPU
 * time (the steadier figure on a shared machine); nothing is asserted. Part 1 is then
 * measured again with each side in child processes of its own, alternated, so no side
 * pays for another's garbage. Alternated, the
 * ~25 MB saveModel allocates can leave a collection for the next decode + encode to pay
 * (that denominator swung from 17 to 55 ms between sittings); with `gc` a full collection
 * runs, untimed, before each timed call of part 1. That is not the cure it seems on this
 * VM: the collection hands the big buffers back to the OS, and saveModel's next 16.5 MB
 * file read then faults in fresh pages at ~15 µs each (+35-50 ms), so report both.
 *
 *   npx ts-node --transpile-only bench/save-bench.ts [saveRuns=7] [wasmRuns=15] [cpuRuns=3] [gc]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { saveModel } from '../src/api/save-model';
import { checkOutputs, OutputTracker } from '../src/api/save-outputs';
import { QuantJsonBuilder } from '../src/api/save-quant-json';
import { selectLayers, skipFusionLayers } from '../src/api/save-record';
import { writeFileAtomic, writeFilesAtomic } from '../src/io';
import { readWholeFile } from '../src/io/read';
import { cpuMs, interleaved, median, ratioLine } from './bench-models';
import type { Timing } from './bench-models';
import { execFileSync } from 'child_process';
import { attrTensor, toFloat32 } from '../src/ir';
import type { Graph } from '../src/ir';
import { decodeGraphDef, encodeGraphDef, graphFromArtifacts, loadGraph, saveGraph } from '../src/io';
import { messageType } from '../src/io/schema';
import { emitAscend, findLayers, planLayer, prepareGraph } from '../src/passes';
import type { LayerPlan } from '../src/passes';
import { channelLayout, intRange, quantizeWeights } from '../src/quant';
import { quantizeWeightsLoop } from '../src/quant/weights';
import { weightsSimdAvailable } from '../src/quant/weights-simd';
import { readRecord } from '../src/record';
import type { LayerRecord } from '../src/record';
import { BackendName, Session } from '../src/runtime';
import { calibrate, cosine, writeRecordFile } from '../__tests__/api/save-fixtures';
import { nsfwjsArtifacts } from '../__tests__/helpers/models';

const SAVE_RUNS = Number(process.argv[2] ?? 7);
const RUNS: Record<string, number> = { wasm: Number(process.argv[3] ?? 15), cpu: Number(process.argv[4] ?? 3) };
const WARMUP = 2;
/** 4th argument `gc`: a full collection before each timed call of part 1 (see the header). */
const CLEAN = process.argv[5] === 'gc';
const OUTPUT = 'Identity';

/** A deterministic 1×224×224×3 image in [0, 1] (smooth gradients plus a pattern). */
function image(seed: number): { input: { data: Float32Array; shape: number[] } } {
  const data = new Float32Array(224 * 224 * 3);
  for (let i = 0; i < data.length; i++) {
    const p = (i / 3) | 0;
    data[i] = 0.5 + 0.25 * Math.sin((p % 224) / (17 + seed)) + 0.2 * Math.cos(p / 224 / (11 + (i % 3) + seed)) + (((i * 2654435761 + seed) % 1000) / 1000 - 0.5) * 0.1;
  }
  return { input: { data, shape: [1, 224, 224, 3] } };
}

/** What part 1 times: saveModel, its codec alone (ours, protobufjs's), and its file I/O alone. */
type Side = 'saveModel' | 'codec' | 'bare' | 'io';
const SIDES: Side[] = ['saveModel', 'codec', 'bare', 'io'];

/** One side's call, set up once per process. */
function sideCall(side: Side, dir: string, pb: string, record: string): () => Promise<unknown> {
  const bytes = new Uint8Array(fs.readFileSync(pb));
  const T = messageType('GraphDef');
  // saveModel's own outputs, to write again as it writes them (temps, fsync, renames over the old files).
  const [outPb, outJson] = [path.join(dir, 'io_quantized.pb'), path.join(dir, 'io_quant.json')];
  let k = 0;
  switch (side) {
    case 'saveModel':
      return () => saveModel(pb, [OUTPUT], record, path.join(dir, `run${process.pid}_${k++ % 2}`));
    case 'codec':
      return async () => encodeGraphDef(decodeGraphDef(bytes));
    case 'bare':
      return async () => T.encode(T.decode(bytes)).finish();
    case 'io': {
      const [pbBytes, json] = [fs.readFileSync(outPb), fs.readFileSync(outJson, 'utf8')];
      return async () => {
        await Promise.all([readWholeFile(pb), readWholeFile(record)]);
        await writeFilesAtomic([{ target: outJson, data: json }, { target: outPb, data: pbBytes }]);
      };
    }
  }
}

/** Untimed calls per child process first: a young process still grows its heaps, and each fresh page costs (~15 µs on this VM). */
const CHILD_WARMUP = 5;
const CHILD_RUNS = 10;

/** `--child side runs dir pb record`: times one side in this process and prints its wall and CPU ms as JSON. */
async function child(args: string[]): Promise<void> {
  const [side, runs, dir, pb, record] = args;
  const call = sideCall(side as Side, dir, pb, record);
  const [timing] = await interleaved(Number(runs), [call], CHILD_WARMUP);
  process.stdout.write(JSON.stringify(timing));
}

/**
 * Part 1 with each side in processes of its own, in alternation (saveModel, codec, bare,
 * io, then again; one round per CHILD_RUNS of `runs`), medians of the processes' medians: in one process the sides pass their
 * garbage to each other (a collection saveModel's 25 MB started lands in the next decode),
 * which swung the codec's time from 13 to 115 ms between sittings.
 */
function isolated(dir: string, pb: string, record: string, runs: number): Record<Side, Timing> {
  const rounds = Math.max(1, Math.round(runs / CHILD_RUNS));
  const got: Record<Side, Timing[]> = { saveModel: [], codec: [], bare: [], io: [] };
  const compiled = __filename.endsWith('.js');
  for (let r = 0; r < rounds; r++) {
    for (const side of SIDES) {
      const args = [...(compiled ? [] : ['-r', 'ts-node/register/transpile-only']), __filename, '--child', side, String(CHILD_RUNS), dir, pb, record];
      const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
      got[side].push(JSON.parse(out.slice(out.lastIndexOf('{'))) as Timing);
    }
  }
  const mid = (t: Timing[]): Timing => ({ wall: median(t.map((x) => x.wall)), cpu: median(t.map((x) => x.cpu)) });
  return { saveModel: mid(got.saveModel), codec: mid(got.codec), bare: mid(got.bare), io: mid(got.io) };
}

async function benchSave(dir: string, pb: string, record: string): Promise<void> {
  const size = fs.statSync(pb).size;
  await saveModel(pb, [OUTPUT], record, path.join(dir, 'io')); // the outputs the io side writes again
  const calls = SIDES.map((side) => sideCall(side, dir, pb, record));
  const [save, ours, bare, io] = await interleaved(SAVE_RUNS, calls, WARMUP, CLEAN);
  console.log(`\nsaveModel vs decode + encode of the same ${(size / 2 ** 20).toFixed(1)} MB .pb (medians of ${SAVE_RUNS}, ${WARMUP} warm-ups${CLEAN ? ', a full GC before each timed call' : ''})`);
  console.log('  in one process, alternated:');
  console.log(`    saveModel / (decodeGraphDef + encodeGraphDef):          ${ratioLine(save, ours)}`);
  console.log(`    saveModel / (protobufjs GraphDef.decode + encode, bare): ${ratioLine(save, bare)}`);
  console.log(`    saveModel / its file I/O alone (read .pb and record, write the two outputs atomically): ${ratioLine(save, io)}`);
  const iso = isolated(dir, pb, record, SAVE_RUNS);
  console.log(`  each in processes of its own, alternated (${Math.max(1, Math.round(SAVE_RUNS / CHILD_RUNS))} each, ${CHILD_WARMUP} untimed then ${CHILD_RUNS} timed calls per process):`);
  console.log(`    saveModel / (decodeGraphDef + encodeGraphDef):          ${ratioLine(iso.saveModel, iso.codec)}`);
  console.log(`    saveModel / (protobufjs GraphDef.decode + encode, bare): ${ratioLine(iso.saveModel, iso.bare)}`);
  console.log(`    saveModel / its file I/O alone:                          ${ratioLine(iso.saveModel, iso.io)}`);
  console.log(`    saveModel − its file I/O − decodeGraphDef − encodeGraphDef: wall ${(iso.saveModel.wall - iso.io.wall - iso.codec.wall).toFixed(1)} ms`);
}

/**
 * saveModel's steps (src/api/save-model.ts) one by one, process CPU ms (medians), to show
 * where its time goes; wall ms beside them, since process CPU also counts V8's background
 * threads (concurrent marking, compiling) busy during a short step.
 */
async function phases(dir: string, pb: string, record: string): Promise<void> {
  const names = ['loadGraph (read + decode .pb)', 'readRecord (record parse)', 'prepare + findLayers + select', 'planLayer (weights, bias, deq)', 'emitAscend + quant.json map', 'validate', 'saveGraph (encode + atomic write)', 'write _quant.json'];
  const ms: number[][] = names.map(() => []);
  const wallMs: number[][] = names.map(() => []);
  for (let run = 0; run < SAVE_RUNS; run++) {
    const t: number[] = [];
    const w: number[] = [];
    const mark = () => {
      t.push(cpuMs());
      w.push(performance.now());
    };
    mark();
    const g = await loadGraph(pb, { deferContent: true }); // as saveModel reads it
    mark();
    const records = await readRecord(record);
    mark();
    const tracker = new OutputTracker(g, checkOutputs('save_model', g, [OUTPUT], pb));
    const prepared = prepareGraph(g, { doFusion: true, skipFusionLayers: skipFusionLayers(records) });
    const selection = selectLayers('save_model', findLayers(g), records, record);
    mark();
    const plans = selection.layers.map((c) => planLayer(g, c, records));
    mark();
    const map = new QuantJsonBuilder(g, prepared.origins);
    map.markPlans(g, plans);
    const report = emitAscend(g, plans, tracker.afterPrepare(g, prepared.renamedOutputs));
    map.markEmitted(g, report);
    tracker.restore(g);
    mark();
    g.validate();
    mark();
    await saveGraph(g, path.join(dir, 'phases_quantized.pb'));
    mark();
    const json = map.build(g, { sourceModel: 'm.pb', recordFile: 'r.txt', quantizedModel: 'q.pb', outputs: [OUTPUT] });
    await writeFileAtomic(path.join(dir, 'phases_quant.json'), JSON.stringify(json, null, 2) + '\n');
    mark();
    names.forEach((_, i) => {
      ms[i].push(t[i + 1] - t[i]);
      wallMs[i].push(w[i + 1] - w[i]);
    });
  }
  const total = names.reduce((a, _, i) => a + median(ms[i]), 0);
  console.log('  where its process CPU time goes (medians):');
  names.forEach((n, i) => console.log(`    ${n.padEnd(36)} ${median(ms[i]).toFixed(1).padStart(7)} ms  ${((median(ms[i]) / total) * 100).toFixed(0).padStart(3)}%   (wall ${median(wallMs[i]).toFixed(1)} ms)`));
  benchWeights(await weightInputs(pb, record));
}

type WeightInput = { w: Float32Array; shape: number[]; scaleW: Float32Array; axis: number | undefined; want: Int8Array };

/** Every layer's quantizeWeights arguments, as saveModel's planLayer makes them, and its result. */
async function weightInputs(pb: string, record: string): Promise<WeightInput[]> {
  const g = await loadGraph(pb);
  const records = await readRecord(record);
  prepareGraph(g, { doFusion: true, skipFusionLayers: skipFusionLayers(records) });
  const plans = selectLayers('save_model', findLayers(g), records, record).layers.map((c) => planLayer(g, c, records));
  return plans.flatMap((plan) => weightInput(g, plan, records));
}

/** What planLayer passes to quantizeWeights for one layer (no DMQ balance in this record), and what it got. */
function weightInput(g: Graph, plan: LayerPlan, records: Map<string, LayerRecord>): WeightInput[] {
  if (!plan.weight) return [];
  const scaleW = Float32Array.from(records.get(plan.layer.name)!.scaleW);
  const w = toFloat32(attrTensor(g.getNode(plan.weight.weightConst)));
  const axis = scaleW.length === 1 ? undefined : plan.layer.weightChannelAxis;
  return [{ w, shape: plan.weight.weightShape, scaleW, axis, want: plan.weight.weightInt8 }];
}

/** Every layer's arguments as quantizeWeights passes them to the JavaScript loop. */
function loopArguments(x: WeightInput): [Float32Array, Float32Array, number, number, number, number] {
  const { channels, inner } = channelLayout(x.shape, x.axis, 'weight');
  const { qmin, qmax } = intRange(8);
  return [x.w, x.scaleW, channels, inner, qmin, qmax];
}

/**
 * quantizeWeights alone over every layer's weights (WebAssembly SIMD where available) and
 * the JavaScript loop it falls back to, in alternation: process CPU ns per weight (medians
 * of SAVE_RUNS); both checked against what planLayer produced.
 */
function benchWeights(inputs: WeightInput[]): void {
  const count = inputs.reduce((a, x) => a + x.w.length, 0);
  const paths: [string, (x: WeightInput) => Int8Array][] = [
    [weightsSimdAvailable() ? 'quantizeWeights (WebAssembly SIMD)' : 'quantizeWeights (no SIMD here: the loop)', (x) => quantizeWeights(x.w, x.shape, x.scaleW, x.axis)],
    ['the JavaScript loop (quantizeWeightsLoop)', (x) => quantizeWeightsLoop(...loopArguments(x))],
  ];
  const perWeight: number[][] = paths.map(() => []);
  for (let run = 0; run < SAVE_RUNS + WARMUP; run++) {
    for (const [k, [, quantize]] of paths.entries()) {
      const c0 = cpuMs();
      for (const x of inputs) quantize(x);
      if (run >= WARMUP) perWeight[k].push(((cpuMs() - c0) * 1e6) / count);
    }
  }
  for (const [name, quantize] of paths) {
    if (!inputs.every((x) => quantize(x).every((v, i) => v === x.want[i]))) throw new Error(`${name} differs from planLayer`);
  }
  console.log(`  quantizeWeights alone, ${inputs.length} layers, ${count} weights, CPU ns per weight (medians of ${SAVE_RUNS}, same int8 as planLayer):`);
  paths.forEach(([name], k) => console.log(`    ${name.padEnd(42)} ${median(perWeight[k]).toFixed(2).padStart(6)} ns`));
}

async function benchSessions(float: Graph, int8: Graph): Promise<void> {
  const feeds = image(3);
  console.log('\nSession.run, quantized vs float graph, same 1×224×224×3 input (bench/int8-bench.ts has BlazeFace too)');
  for (const backend of ['wasm', 'cpu'] as BackendName[]) {
    if (RUNS[backend] === 0) continue; // 0 runs: skip this backend
    const f = await Session.create(float, { backend });
    const q = await Session.create(int8, { backend });
    const [a, b] = [await f.run(OUTPUT, feeds), await q.run(OUTPUT, feeds)];
    const [tf, tq] = await interleaved(RUNS[backend], [() => f.run(OUTPUT, feeds), () => q.run(OUTPUT, feeds)], WARMUP);
    console.log(`  ${backend.padEnd(5)} (${RUNS[backend]} runs) INT8 / float: ${ratioLine(tq, tf)}; output cosine ${cosine(a.data as Float32Array, b.data as Float32Array).toFixed(5)}`);
    f.dispose();
    q.dispose();
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-save-bench-'));
  try {
    const { modelJson, weightData } = nsfwjsArtifacts();
    const float = graphFromArtifacts(modelJson, weightData);
    const pb = path.join(dir, 'mobilenet_v2_mid.pb');
    await saveGraph(float, pb);
    const t0 = performance.now();
    const records = await calibrate(float, [image(1), image(2)], { tensors: true, backend: 'wasm' });
    const record = await writeRecordFile(dir, records);
    console.log(`nsfwjs mobilenet_v2_mid: ${float.size} nodes; record of ${records.length} keys from min/max of 2 inputs (${(performance.now() - t0).toFixed(0)} ms)`);
    const result = await saveModel(pb, [OUTPUT], record, path.join(dir, 'deploy'));
    const int8 = await loadGraph(result.quantizedPb);
    console.log(`quantized: ${result.layers.length} layers, ${int8.size} nodes, .pb ${(fs.statSync(result.quantizedPb).size / 2 ** 20).toFixed(2)} MB (float ${(fs.statSync(pb).size / 2 ** 20).toFixed(2)} MB)`);
    await benchSave(dir, pb, record);
    await phases(dir, pb, record);
    await benchSessions(float, int8);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(process.argv[2] === '--child' ? child(process.argv.slice(3)) : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
