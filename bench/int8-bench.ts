/**
 * INT8 simulation speed: Session.run of the deployable graph saveModel writes (AscendQuant,
 * int8 weights, AscendDequant) against the float graph, same backend, same photo, timed
 * in alternation in this one process (medians of wall clock and of process CPU time; the
 * CPU time is the steadier figure on a shared machine). The record comes from min/max of the
 * float model's activations on two photos (the numbers do not change the op count).
 * Also the largest difference between the INT8 outputs of the cpu and wasm backends.
 *
 *   npx ts-node --transpile-only bench/int8-bench.ts [models=nsfwjs,blazeface] [wasmRuns=15] [cpuRuns=3]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BackendName, Session } from '../src/runtime';
import { cosine } from '../__tests__/api/save-fixtures';
import { BenchModel, int8Pair, interleaved, modelsFromArg, ratioLine } from './bench-models';

const RUNS: Record<string, number> = { wasm: Number(process.argv[3] ?? 15), cpu: Number(process.argv[4] ?? 3) };

async function benchModel(m: BenchModel, dir: string): Promise<void> {
  const { float, int8, outputs, layers, feeds } = await int8Pair(m, dir, 2);
  console.log(`\n${m.name}: ${layers.length} quantized layers, ${int8.nodes().filter((n) => n.op.startsWith('Ascend')).length} Ascend nodes`);
  const int8Outputs: Record<string, Float32Array[]> = {};
  for (const backend of ['wasm', 'cpu'] as BackendName[]) {
    const f = await Session.create(float, { backend });
    const q = await Session.create(int8, { backend });
    const [fo, qo] = [await f.run(outputs, feeds), await q.run(outputs, feeds)];
    int8Outputs[backend] = qo.map((t) => t.data as Float32Array);
    const [tf, tq] = await interleaved(RUNS[backend], [() => f.run(outputs, feeds), () => q.run(outputs, feeds)]);
    const cos = Math.min(...fo.map((t, i) => cosine(t.data as Float32Array, qo[i].data as Float32Array)));
    console.log(`  ${backend.padEnd(4)} (${RUNS[backend]} runs) INT8 / float: ${ratioLine(tq, tf)}; min output cosine ${cos.toFixed(5)}`);
    f.dispose();
    q.dispose();
  }
  let diff = 0;
  int8Outputs.wasm.forEach((o, k) => o.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - int8Outputs.cpu[k][i])))));
  console.log(`  INT8 outputs, max |wasm − cpu| = ${diff.toExponential(2)} (the convolutions sum in different orders)`);
}

async function main(): Promise<void> {
  for (const m of modelsFromArg(process.argv[2])) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-int8-bench-'));
    try {
      await benchModel(m, dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
