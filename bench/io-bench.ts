/**
 * I/O benchmark: loadGraph + saveGraph of real models as .pb, against a bare protobufjs
 * decode + encode of the same bytes with the same schema. The codec itself decodes and
 * encodes with protobufjs, so the ratio is the cost of the IR conversion (unknown fields
 * kept, tensor bytes copied into typed arrays, Long → number/bigint) on top of it. Each (model, codec) runs in its
 * own child process so peak RSS is its own. Prints medians and ratios measured in this
 * run; nothing here is asserted.
 *
 *   npx ts-node --transpile-only bench/io-bench.ts [runs]
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeGraphDef, encodeGraphDef, graphFromArtifacts, loadGraph, saveGraph } from '../src/io';
import { messageType } from '../src/io/schema';
import { humanModel, nsfwjsArtifacts } from '../__tests__/helpers/models';

type Codec = 'amct-files' | 'amct-codec' | 'protobufjs' | 'none';
interface Result {
  ms: number;
  /** Fastest run: on a machine shared with other work, the least disturbed measure. */
  minMs: number;
  peakRssMB: number;
  retainedMB: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes: number) => bytes / 2 ** 20;

/** One decode + encode round of a codec; returns the decoded object so memory can be measured with it alive. */
async function round(codec: Codec, file: string, bytes: Uint8Array, out: string): Promise<unknown> {
  if (codec === 'none') return bytes;
  if (codec === 'amct-files') {
    const g = await loadGraph(file);
    g.meta.sourceFiles = [];
    await saveGraph(g, out);
    return g;
  }
  if (codec === 'amct-codec') {
    const g = decodeGraphDef(bytes);
    encodeGraphDef(g);
    return g;
  }
  const T = messageType('GraphDef');
  const msg = T.decode(bytes);
  T.encode(msg).finish();
  return msg;
}

async function child(codec: Codec, file: string, runs: number): Promise<void> {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const out = path.join(path.dirname(file), `out-${codec}.pb`);
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  for (let i = 0; i < 5; i++) await round(codec, file, bytes, out); // warm-up: JIT and schema parsing
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await round(codec, file, bytes, out);
    times.push(performance.now() - t0);
  }
  await settle(gc);
  const before = process.memoryUsage();
  const kept = await round(codec, file, bytes, out);
  await settle(gc);
  const after = process.memoryUsage();
  const retained = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  const result: Result & { kept: boolean } = { ms: median(times), minMs: Math.min(...times), peakRssMB: process.resourceUsage().maxRSS / 1024, retainedMB: mb(retained), kept: kept !== undefined };
  process.stdout.write(JSON.stringify(result));
}

/** Several collections with turns of the event loop between: external buffers are freed lazily. */
async function settle(gc: () => void): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

function runChild(codec: Codec, file: string, runs: number): Result {
  const args = ['--expose-gc', '-r', 'ts-node/register/transpile-only', __filename, '--child', codec, file, String(runs)];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: path.join(__dirname, '..'), encoding: 'utf8' }));
}

/** The models as .pb files in a temp folder. */
async function prepare(dir: string): Promise<{ name: string; file: string }[]> {
  const models: { name: string; file: string }[] = [];
  const { modelJson, weightData } = nsfwjsArtifacts();
  const nsfw = path.join(dir, 'nsfwjs_mobilenet_v2_mid.pb');
  await saveGraph(graphFromArtifacts(modelJson, weightData), nsfw);
  models.push({ name: 'nsfwjs mobilenet_v2_mid', file: nsfw });
  for (const name of ['faceres', 'iris']) {
    const file = path.join(dir, `${name}.pb`);
    await saveGraph(await loadGraph(humanModel(name).path), file);
    models.push({ name: `human ${name}`, file });
  }
  return models;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 9);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-io-bench-'));
  try {
    const models = await prepare(dir);
    console.log(`io-bench: median (and min) of ${runs} runs after 5 warm-ups, one child process per cell (node ${process.version}, ${os.cpus().length} cpus)\n`);
    const header = ['model', '.pb MB', 'codec', 'decode+encode ms', 'vs protobufjs', 'min ms', 'min vs protobufjs', 'peak RSS MB', 'retained MB'];
    const rows: string[][] = [];
    const idle = runChild('none', models[0].file, 1);
    for (const m of models) {
      const size = mb(fs.statSync(m.file).size).toFixed(1);
      const base = runChild('protobufjs', m.file, runs);
      for (const codec of ['amct-files', 'amct-codec', 'protobufjs'] as Codec[]) {
        const r = codec === 'protobufjs' ? base : runChild(codec, m.file, runs);
        rows.push([m.name, size, codec, r.ms.toFixed(1), `${(r.ms / base.ms).toFixed(2)}x`, r.minMs.toFixed(1), `${(r.minMs / base.minMs).toFixed(2)}x`, r.peakRssMB.toFixed(0), r.retainedMB.toFixed(1)]);
      }
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
    console.log(line(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) console.log(line(r));
    console.log(`\npeak RSS includes ts-node and the schema: a child that only reads the file peaks at ${idle.peakRssMB.toFixed(0)} MB.`);
    console.log('retained = heap + ArrayBuffers still held with the decoded graph/message alive.');
    console.log('amct-files = loadGraph(.pb) + saveGraph(.pb) incl. file I/O and fsync; amct-codec = decodeGraphDef + encodeGraphDef in memory');
    console.log('(protobufjs decode/encode + message ⇄ IR conversion); protobufjs = bare GraphDef.decode + encode with the same schema');
    console.log('(keeps no unknown fields, builds no typed arrays; its message holds views into the input, hence ~0 retained).');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as Codec, process.argv[4], Number(process.argv[5])).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
