/**
 * Where an INT8 run's time goes: tf.profile of Session.run on the float graph and on the
 * deployable INT8 graph saveModel writes (record from min/max of one photo), kernel time
 * and call count per tfjs kernel, and the wall time of the profiled runs. Kernel times are
 * wall clock: under load compare the two graphs' shares, not the milliseconds. Nested
 * kernels (fusedConv2d__op around FusedConv2D) are counted twice.
 *
 *   npx ts-node --transpile-only bench/op-profile.ts [model=nsfwjs|blazeface] [backend=wasm] [runs=5]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BackendName, Session } from '../src/runtime';
import { tf } from '../src/runtime/tfjs';
import { int8Pair, modelsFromArg } from './bench-models';
type PerKernel = Map<string, { ms: number; calls: number; values: number }>;

/** Kernel time, calls and output values per kernel name, averaged over `runs` profiled runs. */
async function profileRuns(run: () => Promise<unknown>, runs: number): Promise<{ byKernel: PerKernel; wall: number }> {
  const byKernel: PerKernel = new Map();
  let wall = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const p = await tf.profile(async () => {
      await run();
    });
    wall += (performance.now() - t0) / runs;
    for (const k of p.kernels) {
      const e = byKernel.get(k.name) ?? { ms: 0, calls: 0, values: 0 };
      e.ms += (k.kernelTimeMs as number) / runs;
      e.calls += 1 / runs;
      e.values += k.outputShapes.reduce((a: number, s) => a + (s ?? []).reduce((x: number, y: number) => x * y, 1), 0) / runs;
      byKernel.set(k.name, e);
    }
  }
  return { byKernel, wall };
}

async function main(): Promise<void> {
  const m = modelsFromArg(process.argv[2] ?? 'nsfwjs')[0];
  const backend = (process.argv[3] ?? 'wasm') as BackendName;
  const runs = Number(process.argv[4] ?? 5);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-op-profile-'));
  try {
    const { float, int8, outputs, feeds } = await int8Pair(m, dir, 1);
    for (const [name, g] of [['float', float], ['int8', int8]] as const) {
      const s = await Session.create(g, { backend });
      for (let i = 0; i < 3; i++) await s.run(outputs, feeds);
      await tf.setBackend(backend);
      const { byKernel, wall } = await profileRuns(() => s.run(outputs, feeds), runs);
      const entries = [...byKernel].sort((x, y) => y[1].ms - x[1].ms);
      const total = entries.reduce((sum, [, e]) => sum + e.ms, 0);
      const calls = entries.reduce((sum, [, e]) => sum + e.calls, 0);
      console.log(`${m.name} ${name} on ${backend}: kernel ${total.toFixed(1)} ms, wall ${wall.toFixed(1)} ms, ${calls.toFixed(0)} kernel calls`);
      for (const [k, e] of entries.slice(0, 14)) {
        console.log(`  ${k.padEnd(28)} ${e.ms.toFixed(2).padStart(8)} ms  x${e.calls.toFixed(0)}  ${(e.values / 1e6).toFixed(2)}M values`);
      }
      s.dispose();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
