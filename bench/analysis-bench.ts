/**
 * analyzeAccuracy on real models: wall time and peak RSS, against running the float model
 * alone on the same batches (the ratios are measured in one run, each phase in its own
 * process so its peak RSS is its own).
 *
 *   npx ts-node --transpile-only bench/analysis-bench.ts [--model blazeface|nsfwjs|all]
 *     [--batches N] [--backend wasm|cpu]
 *
 * The parent quantizes each model as examples/accuracy does (IFMR on its calibration
 * crops) into a temp folder, then forks: one child runs the float model on the held-out
 * batches (the unit), one runs analyzeAccuracy on them (writing the HTML report). Each
 * child prints its wall time (model loading included) and process.resourceUsage().maxRSS.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import * as amct from '../src';
import { modelSpec } from '../examples/accuracy/models';
import type { ModelSpec } from '../examples/accuracy/models';
import { batchOf, chunks, quantize } from '../examples/accuracy/quantize';

interface Job {
  phase: 'float' | 'analyze';
  model: string;
  spec: string;
  record: string;
  batches: number;
  backend?: amct.BackendName;
  report: string;
}

async function heldOutBatches(spec: ModelSpec, count: number): Promise<amct.Feeds[]> {
  const crops = spec.heldOut().slice(0, count * spec.maxBatch);
  const out: amct.Feeds[] = [];
  for (const part of chunks(crops, spec.maxBatch)) out.push({ [spec.input]: await batchOf(spec, part) });
  return out;
}

/** One phase, in a child process: prints a JSON line with seconds, maxRSS and what it measured. */
async function child(job: Job): Promise<void> {
  const spec = modelSpec(job.spec);
  const batches = await heldOutBatches(spec, job.batches);
  const t = Date.now();
  let extra: Record<string, unknown> = {};
  if (job.phase === 'float') {
    const session = await amct.Session.create(await amct.loadGraph(job.model), { backend: job.backend });
    for (const feeds of batches) await session.run(spec.outputs, feeds);
    session.dispose();
  } else {
    const r = await amct.analyzeAccuracy(job.model, spec.outputs, job.record, batches, { backend: job.backend, reportFile: job.report });
    extra = { layers: r.layers.length, worst: r.worst.slice(0, 3).map((l) => `${l.layer} ${l.isolated.sqnrDb.toFixed(1)} dB`) };
  }
  const seconds = (Date.now() - t) / 1000;
  console.log(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, batches: batches.length, ...extra }));
}

function fork(job: Job): { seconds: number; maxRssMb: number; batches: number; layers?: number; worst?: string[] } {
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, '--child', JSON.stringify(job)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function benchModel(name: string, dir: string, batches: number, backend?: amct.BackendName): Promise<void> {
  const spec = modelSpec(name);
  const files = await quantize(spec, path.join(dir, name), backend);
  const job = { model: files.model, spec: name, record: files.record, batches, backend, report: path.join(dir, name, 'report.html') };
  const float = fork({ ...job, phase: 'float' });
  const analysis = fork({ ...job, phase: 'analyze' });
  console.log(`${name}: ${analysis.layers} quantized layers, ${analysis.batches} batch(es) of ${spec.maxBatch}, backend ${backend ?? 'default'}`);
  console.log(`  float model alone:  ${float.seconds.toFixed(2)} s, peak RSS ${float.maxRssMb.toFixed(0)} MB`);
  console.log(`  analyzeAccuracy:    ${analysis.seconds.toFixed(2)} s, peak RSS ${analysis.maxRssMb.toFixed(0)} MB`);
  console.log(`  ratio:              ${(analysis.seconds / float.seconds).toFixed(1)}x time, ${(analysis.maxRssMb / float.maxRssMb).toFixed(2)}x peak RSS`);
  console.log(`  worst: ${analysis.worst!.join('; ')}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, batches: { type: 'string' }, backend: { type: 'string' }, child: { type: 'string' } } });
  if (values.child) return child(JSON.parse(values.child) as Job);
  const models = !values.model || values.model === 'all' ? ['nsfwjs', 'blazeface'] : values.model.split(',');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-analysis-bench-'));
  try {
    for (const m of models) await benchModel(m, dir, Number(values.batches ?? 4), values.backend as amct.BackendName | undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
