/**
 * Session inference time on the largest real test model (nsfwjs mobilenet_v2_mid,
 * 1x224x224x3): wasm vs cpu, and Session vs tfjs's own GraphModel on the same backend
 * (the Session's overhead), plus the Session's fixed cost per run (a fetch of the
 * model's first op, where execution is nearly free). Medians after warm-up, Session and
 * GraphModel timed in alternation; ratios are measured in this one process.
 * Run: npx ts-node --transpile-only bench/session-bench.ts [wasmRuns] [cpuRuns]
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModelSync } from '@tensorflow/tfjs-converter';
import { graphFromArtifacts } from '../src/io';
import { BackendName, Session } from '../src/runtime';

const RUNS: Record<BackendName, number> = { wasm: Number(process.argv[2] ?? 21), cpu: Number(process.argv[3] ?? 5), 'tfjs-node': 0 };
const WARMUP = 2;
const OUTPUT = 'Identity';

/** nsfwjs ships its model as JS modules: model.json as an object, shards as base64 strings. */
function loadNsfwjs(): { modelJson: any; weightData: ArrayBuffer } {
  const dir = path.join(path.dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2_mid'); // from dist/cjs/index.js
  const modelJson = require(path.join(dir, 'model.min.js'));
  const shards = (modelJson.weightsManifest[0].paths as string[]).map((p) => Buffer.from(require(path.join(dir, `${p}.min.js`)) as string, 'base64'));
  const all = Buffer.concat(shards);
  return { modelJson, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Medians of `fns` timed in alternation, so load from other processes falls on all alike. */
async function timeInterleaved(runs: number, fns: (() => Promise<unknown>)[]): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) for (const fn of fns) await fn();
  const ms: number[][] = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of fns.entries()) {
      const t0 = process.hrtime.bigint();
      await fn();
      ms[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return ms.map(median);
}

type Model = ReturnType<typeof loadGraphModelSync>;

/** Session.run vs GraphModel.execute + data() for the same fetch and input tensor. */
function pair(session: Session, model: Model, fetch: string, input: tf.Tensor): (() => Promise<unknown>)[] {
  return [
    () => session.run(fetch, { input }),
    async () => {
      const out = model.execute({ input }, fetch) as tf.Tensor;
      await out.data();
      out.dispose();
    },
  ];
}

async function main(): Promise<void> {
  const { modelJson, weightData } = loadNsfwjs();
  const graph = graphFromArtifacts(modelJson, weightData);
  const firstOp = graph.nodes().find((n) => n.op !== 'Const' && n.op !== 'Placeholder')!.name;
  const pixels = Float32Array.from({ length: 224 * 224 * 3 }, (_, i) => ((i * 2654435761) % 1000) / 1000);
  const rows: [string, number, number][] = [];
  for (const backend of ['wasm', 'cpu'] as BackendName[]) {
    const session = await Session.create(graph, { backend });
    await tf.setBackend(backend);
    const input = tf.tensor4d(pixels, [1, 224, 224, 3]);
    const model = loadGraphModelSync([modelJson, weightData]);
    const [s, t] = await timeInterleaved(RUNS[backend], pair(session, model, OUTPUT, input));
    rows.push([`${backend} (${RUNS[backend]} runs)`, s, t]);
    if (backend === 'wasm') {
      const [fs, ft] = await timeInterleaved(200, pair(session, model, firstOp, input));
      rows.push([`wasm, first op only (200 runs)`, fs, ft]); // the fixed cost per run
    }
    session.dispose();
    model.dispose();
    input.dispose();
  }
  console.log(`nsfwjs mobilenet_v2_mid, 1x224x224x3; medians after ${WARMUP} warm-up runs`);
  console.log(`${'case'.padEnd(44)} ${'Session ms'.padStart(10)} ${'GraphModel ms'.padStart(13)} ${'ratio'.padStart(6)}`);
  for (const [name, s, t] of rows) console.log(`${name.padEnd(44)} ${s.toFixed(2).padStart(10)} ${t.toFixed(2).padStart(13)} ${(s / t).toFixed(3).padStart(6)}`);
  console.log(`cpu / wasm (Session): ${(rows[2][1] / rows[0][1]).toFixed(1)}x`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
