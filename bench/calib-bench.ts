/**
 * Streaming IFMR (IfmrAccumulator) vs exact IFMR on ReLU6-like activations, as a
 * calibration of MobileNet's widest layers would see them.
 *
 *   npx ts-node --transpile-only bench/calib-bench.ts [batches=32] [h=112] [w=112] [c=96]
 *
 * Prints time per phase, the time ratio, the accumulator's memory against the bytes exact
 * IFMR must hold (every activation of every batch), and the two scale_d values.
 */
import { HfmgAccumulator, ifmr, IfmrAccumulator, IfmrParams } from '../src/calib';
import { mulberry32 } from '../fuzz/rng';

const [batches, h, w, c] = [32, 112, 112, 96].map((d, i) => Number(process.argv[2 + i] ?? d));
const perBatch = h * w * c;

/** mulberry32 + Box–Muller: reproducible, cheap. */
function sampler(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** ReLU6 of a per-channel Gaussian: channels differ in mean and spread, as in real nets. */
function relu6Batch(seed: number): Float32Array {
  const g = sampler(seed);
  const out = new Float32Array(perBatch);
  for (let i = 0; i < perBatch; i++) {
    const ch = i % c;
    const v = (1 + (ch % 7) * 0.4) * g() + ((ch % 5) - 1) * 0.5;
    out[i] = v < 0 ? 0 : v > 6 ? 6 : v;
  }
  return out;
}

function ms(t0: number): number {
  return performance.now() - t0;
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
}

function main(): void {
  const params: IfmrParams = {
    maxPercentile: 0.999999,
    minPercentile: 0.999999,
    searchRange: [0.7, 1.3],
    searchStep: 0.01,
    asymmetric: true,
  };
  console.log(`${batches} batches of 1×${h}×${w}×${c} = ${perBatch} values (${(batches * perBatch / 1e6).toFixed(1)}M total)`);
  let t = performance.now();
  const data = Array.from({ length: batches }, (_, b) => relu6Batch(b + 1));
  console.log(`generate: ${ms(t).toFixed(0)} ms`);

  t = performance.now();
  const acc = new IfmrAccumulator({ ...params, batchNum: batches });
  for (const b of data) acc.add(b);
  const addMs = ms(t);
  t = performance.now();
  const stream = acc.result();
  const resultMs = ms(t);

  t = performance.now();
  const hfmg = new HfmgAccumulator({ numBins: 4096, asymmetric: true });
  for (const b of data) hfmg.add(b);
  const hf = hfmg.result();
  const hfmgMs = ms(t);

  t = performance.now();
  const exact = ifmr(data, params);
  const exactMs = ms(t);

  const streamMs = addMs + resultMs;
  console.log(`streaming IFMR: add ${addMs.toFixed(0)} ms (${(addMs / batches).toFixed(1)} ms/batch), result ${resultMs.toFixed(0)} ms`);
  console.log(`exact IFMR:     ${exactMs.toFixed(0)} ms  → exact/streaming time ratio ${(exactMs / streamMs).toFixed(1)}×`);
  console.log(`HFMG (4096):    ${hfmgMs.toFixed(0)} ms, scale ${hf.scale} offset ${hf.offset}`);
  const exactBytes = 2 * batches * perBatch * 4; // the batches kept + one working copy for selection
  console.log(`memory: accumulator ${mb(acc.memoryBytes())} (constant), exact ${mb(exactBytes)} → ratio ${(exactBytes / acc.memoryBytes()).toFixed(0)}×`);
  const rel = (stream.scale / exact.scale - 1) * 100;
  console.log(`scale_d: streaming ${stream.scale} / exact ${exact.scale} (${rel.toFixed(4)}%), offset ${stream.offset} / ${exact.offset}, tails exact: ${acc.tailsExact()}`);
}

main();
