/**
 * Float vs INT8 on every real model the repo has, one table row each (docs/accuracy.md).
 *
 *   npx ts-node --transpile-only examples/accuracy/run.ts --model <mnist|nsfwjs|blazeface|emotion|iris|liveness|all>
 *     [--out DIR] [--backend wasm|cpu|tfjs-node] [--act-algo ifmr|hfmg] [--percentile P] [--skip layer,layer]
 *     [--dmq ALPHA] [--dmq-layers layer=ALPHA,...] [--diagnose] [--worst N] [--json FILE]
 *
 * --skip takes layer names or, for short, unique suffixes of them ("dense_2/BiasAdd").
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import * as amct from '../../src';
import { AccuracyRow, COSINE_TARGET, evaluateMnist, evaluateModel } from './evaluate';
import { MODELS, modelSpec } from './models';
import type { Variant } from './quantize';

const f4 = (x: number) => x.toFixed(4);
/** --dmq-layers layer=α,...: names or unique suffixes, resolved per model. */
let dmqLayerArgs: [string, number][] = [];
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function formatRow(r: AccuracyRow): string[] {
  const lines = [`${r.model} [${r.variant}]: ${r.quantizedLayers} layers quantized, ${r.heldOut} held-out inputs, ${r.seconds.toFixed(0)} s`];
  if (r.accuracy) {
    const a = r.accuracy;
    lines.push(`  accuracy on ${a.count} labeled digits: float ${pct(a.float)}, INT8 ${pct(a.int8)}; on the ${r.heldOut} held-out: float ${pct(a.floatHeldOut)}, INT8 ${pct(a.int8HeldOut)}`);
  }
  for (const o of r.outputs) {
    const top1 = o.top1 === undefined ? '' : `, top-1 agreement ${pct(o.top1)}`;
    const flag = o.meanCosine < COSINE_TARGET ? `  << below ${COSINE_TARGET}` : '';
    lines.push(`  ${o.output}: cosine mean ${f4(o.meanCosine)}, min ${f4(o.minCosine)}, mean |Δ| ${o.meanAbsError.toPrecision(3)}${top1}${flag}`);
  }
  if (r.worstLayers) {
    lines.push('  layers losing the most (input cosine → output cosine, drop):');
    for (const l of r.worstLayers) lines.push(`    ${l.layer} (${l.op}): ${f4(l.inputCosine)} → ${f4(l.outputCosine)} (drop ${f4(l.drop)})`);
  }
  return lines;
}

/** Full layer names from names or unique suffixes, checked against the model's layers. */
async function resolveSkips(model: string, wanted: string[]): Promise<string[]> {
  if (wanted.length === 0) return [];
  const graph = await amct.loadGraph(model);
  amct.prepareGraph(graph, { doFusion: true });
  const layers = amct.findLayers(graph).map((l) => l.name);
  return wanted.map((w) => {
    const hits = layers.filter((l) => l === w || l.endsWith(`/${w}`));
    if (hits.length !== 1) throw new Error(`--skip ${w}: ${hits.length} layers match (${hits.slice(0, 3).join(', ')})`);
    return hits[0];
  });
}

async function evaluate(name: string, outRoot: string, backend: amct.BackendName | undefined, variant: Variant, diagnose: boolean | 'auto', worst: number, skips: string[]): Promise<AccuracyRow> {
  const outDir = path.join(outRoot, name);
  if (name === 'mnist') return evaluateMnist({ outDir, backend, variant });
  const spec = modelSpec(name);
  fs.mkdirSync(outDir, { recursive: true });
  const skipLayers = await resolveSkips(spec.model(outDir), skips);
  const dmqNames = await resolveSkips(spec.model(outDir), dmqLayerArgs.map(([l]) => l));
  const dmqLayers = dmqLayerArgs.length ? Object.fromEntries(dmqNames.map((n, i) => [n, dmqLayerArgs[i][1]])) : undefined;
  return evaluateModel(spec, { outDir, backend, variant: { ...variant, skipLayers, dmqLayers }, diagnose, worst });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'all' },
      out: { type: 'string' },
      backend: { type: 'string' },
      'act-algo': { type: 'string' },
      percentile: { type: 'string' },
      skip: { type: 'string' },
      dmq: { type: 'string' },
      'dmq-layers': { type: 'string' },
      diagnose: { type: 'boolean', default: false },
      worst: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const names = values.model === 'all' ? ['mnist', ...MODELS.map((m) => m.name)] : values.model!.split(',');
  const outRoot = path.resolve(values.out ?? path.join('out', 'accuracy'));
  const variant: Variant = { actAlgo: values['act-algo'] === 'hfmg' ? 'hfmg' : 'ifmr' };
  if (values.percentile !== undefined) variant.percentile = Number(values.percentile);
  if (values.dmq !== undefined) variant.dmqBalancer = Number(values.dmq);
  dmqLayerArgs = values['dmq-layers'] ? values['dmq-layers'].split(',').map((kv) => { const [l, a] = kv.split('='); return [l, Number(a)]; }) : [];
  const skips = values.skip ? values.skip.split(',') : [];
  const rows: AccuracyRow[] = [];
  for (const name of names) {
    const row = await evaluate(name, outRoot, values.backend as amct.BackendName | undefined, variant, values.diagnose ? true : 'auto', Number(values.worst ?? 5), skips);
    rows.push(row);
    console.log(formatRow(row).join('\n'));
  }
  if (values.json) fs.writeFileSync(values.json, JSON.stringify(rows, null, 2) + '\n');
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    process.exit(1);
  });
}
