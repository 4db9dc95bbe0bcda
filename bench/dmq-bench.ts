/**
 * DMQ balancer statistics (BalancedActivationAccumulator) vs plain streaming IFMR on the
 * same NHWC batches, and vs the exact two-pass result (exact IFMR on x/s, every batch kept).
 *
 *   npx ts-node --transpile-only bench/dmq-bench.ts [batches=8] [h=56] [w=56] [c=96]
 *
 * Prints the time ratio (balanced / plain), the accumulator memory against the bytes the
 * two-pass result must hold, and scale_d of both.
 */
import { balanceFactors, BalancedActivationAccumulator, ifmr, IfmrAccumulator, IfmrParams } from '../src/calib';
import { mulberry32 } from '../fuzz/rng';

const [batches, h, w, c] = [8, 56, 56, 96].map((d, i) => Number(process.argv[2 + i] ?? d));
const perBatch = h * w * c;

/** ReLU of channels whose ranges span 0.01 … 7 (the case the balancer is for). */
function unevenBatch(seed: number): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(perBatch);
  for (let i = 0; i < perBatch; i++) {
    const g = r() + r() + r() - 1.5;
    out[i] = Math.max(0, g) * 0.01 * 2.5 ** (i % c % 8);
  }
  return out;
}

const params: IfmrParams = { maxPercentile: 0.999999, minPercentile: 0.999999, searchRange: [0.7, 1.3], searchStep: 0.01, asymmetric: true };
const data = Array.from({ length: batches }, (_, b) => unevenBatch(b + 1));
const wMax = Array.from({ length: c }, (_, k) => 0.05 + 0.01 * (k % 13));

let t0 = performance.now();
const plain = new IfmrAccumulator({ ...params, batchNum: batches });
for (const b of data) plain.add(b);
plain.result();
const plainMs = performance.now() - t0;

t0 = performance.now();
const bal = new BalancedActivationAccumulator({ batchNum: batches, algorithm: { algo: 'ifmr', ifmr: params } });
for (const b of data) bal.add(b, [1, h, w, c], 3);
const s = balanceFactors(bal.channelMax(), wMax, 0.5);
const got = bal.result(s);
const balMs = performance.now() - t0;

const exact = ifmr(data.map((b) => b.map((x, i) => x / s[i % c])), params);
console.log(`${batches} batches of ${h}×${w}×${c}: balanced ${balMs.toFixed(0)} ms vs plain streaming IFMR ${plainMs.toFixed(0)} ms (ratio ${(balMs / plainMs).toFixed(2)})`);
console.log(`memory: balanced ${(bal.memoryBytes() / 2 ** 20).toFixed(2)} MiB vs two-pass ${((batches * perBatch * 4) / 2 ** 20).toFixed(1)} MiB (ratio ${(bal.memoryBytes() / (batches * perBatch * 4)).toFixed(4)})`);
console.log(`scale_d: balanced ${got.scale} (offset ${got.offset}), exact two-pass ${exact.scale} (offset ${exact.offset}), relative ${(got.scale / exact.scale - 1).toExponential(2)}`);
