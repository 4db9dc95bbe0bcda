/**
 * The histogram binning loop on real activations: one calibration run's batches of every
 * layer (captured at IfmrAccumulator.add), binned by MomentHistogram in JavaScript and on
 * WebAssembly (calib/bin-kernel-module.ts: the default build, SIMD where the engine has it,
 * and the scalar build) in alternation, in one process. "cycled" bins every layer in turn,
 * as a calibration run does (each layer's 256 KiB histogram is cold in the cache at its
 * batch); "hot" bins a batch again right after itself. All three must end with the same
 * bins, bit for bit; the bench says so.
 *
 *   npx ts-node --transpile-only bench/binning-bench.ts [model=blazeface|nsfwjs] [rounds=5]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createQuantConfig, quantizeModel } from '../src/api';
import { IfmrAccumulator } from '../src/calib';
import { binArena, newBinArena } from '../src/calib/bin-arena';
import type { BinArena } from '../src/calib/bin-arena';
import { MomentHistogram } from '../src/calib/moment-histogram';
import { Session } from '../src/runtime';
import { inputOf, median, modelsFromArg, outputsOf, photoBatches } from './bench-models';

const [MODEL] = modelsFromArg(process.argv[2] ?? 'blazeface');
const ROUNDS = Number(process.argv[3] ?? 5);

/** One calibration run's batches, per layer, in the order the run fed them. */
async function capture(): Promise<Float32Array[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-binning-bench-'));
  try {
    const graph = await MODEL.load();
    const input = inputOf(graph, 1);
    const feeds = (await photoBatches(3, input.shape, MODEL.preprocess)).map((b) => ({ [input.name]: b }));
    const config = path.join(dir, 'config.json');
    await createQuantConfig(config, graph, { batchNum: 4 });
    const q = await quantizeModel(graph, config, path.join(dir, 'record.txt'), { calibOutputs: outputsOf(graph) });
    const session = await Session.create(graph, { backend: 'wasm', statisticsThread: false });
    const batches: Float32Array[] = [];
    const add = IfmrAccumulator.prototype.add;
    for (let i = 0; i < feeds.length; i++) {
      if (i === feeds.length - 1) {
        IfmrAccumulator.prototype.add = function (this: IfmrAccumulator, b: Float32Array) {
          batches.push(b.slice());
          return add.call(this, b);
        };
      }
      await session.run(q.calibOutputs, feeds[i] as never);
    }
    IfmrAccumulator.prototype.add = add;
    session.dispose();
    return batches;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function histograms(batches: Float32Array[], arena: BinArena | undefined): MomentHistogram[] {
  return batches.map((b) => {
    const h = new MomentHistogram(16384, undefined, arena);
    let [lo, hi] = [Infinity, -Infinity];
    for (let i = 0; i < b.length; i++) [lo, hi] = [Math.min(lo, b[i]), Math.max(hi, b[i])];
    h.ensureRange(lo, hi);
    return h;
  });
}

async function main(): Promise<void> {
  const batches = await capture();
  const values = batches.reduce((n, b) => n + b.length, 0);
  let zeros = 0;
  for (const b of batches) for (let i = 0; i < b.length; i++) if (b[i] === 0) zeros++;
  console.log(`${MODEL.name}: ${batches.length} layers, ${(values / 1e6).toFixed(2)} M values per run, ${((100 * zeros) / values).toFixed(0)}% zeros`);
  const arena = binArena();
  const scalar = newBinArena(undefined, { simd: false });
  if (!arena || !scalar) throw new Error('no WebAssembly arena (AMCT_WASM_BINNING=0?)');
  const sides = [
    { name: 'JavaScript', hists: histograms(batches, undefined), cycled: [] as number[], hot: [] as number[] },
    { name: `WebAssembly${arena.simd ? ' SIMD' : ''}`, hists: histograms(batches, arena), cycled: [] as number[], hot: [] as number[] },
    { name: 'WebAssembly scalar', hists: histograms(batches, scalar), cycled: [] as number[], hot: [] as number[] },
  ];
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (const side of sides) {
      let t = performance.now();
      batches.forEach((b, k) => side.hists[k].add(b));
      const cycled = performance.now() - t;
      let hot = 0;
      batches.forEach((b, k) => {
        side.hists[k].add(b);
        t = performance.now();
        side.hists[k].add(b);
        hot += performance.now() - t;
      });
      if (round > 0) [side.cycled.push(cycled), side.hot.push(hot)];
    }
  }
  const ns = (ms: number) => ((ms * 1e6) / values).toFixed(2);
  for (const s of sides) console.log(`${s.name.padEnd(18)} cycled ${median(s.cycled).toFixed(1)} ms (${ns(median(s.cycled))} ns/value), hot ${ns(median(s.hot))} ns/value (medians of ${ROUNDS})`);
  const [js, ...kernels] = sides;
  for (const k of kernels) console.log(`${k.name} / JavaScript: cycled ${(median(k.cycled) / median(js.cycled)).toFixed(2)}x, hot ${(median(k.hot) / median(js.hot)).toFixed(2)}x`);
  const bits = (h: MomentHistogram) => Buffer.from(h.state().bins.buffer);
  const same = kernels.every((k) => js.hists.every((h, i) => bits(h).equals(bits(k.hists[i]))));
  console.log(`bins bit for bit the same on all three: ${same}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
