/**
 * Float vs INT8 on every real model the repo has, one table row each (docs/accuracy.md).
 *
 *   npx ts-node --transpile-only examples/accuracy/run.ts --model <name,name|all> [--config default,auto]
 *     [--out DIR] [--backend wasm|cpu|tfjs-node] [--act-algo ifmr|hfmg] [--percentile P] [--skip layer,layer]
 *     [--dmq ALPHA] [--dmq-layers layer=ALPHA,...] [--diagnose] [--worst N (0: no diagnosis)] [--json FILE] [--table FILE.md]
 *
 * Models: mnist, nsfwjs and every graph model of @vladmandic/human's models/ folder
 * (models.ts, models-human.ts). --config picks the table's columns (CONFIGURATIONS below):
 * `default` is the AMCT flow with createQuantConfig's defaults, `auto` is
 * accuracyBasedAutoCalibration at the model's stated target with its defaults (BinarySearch,
 * balancer step), `auto-refine` the same with BinarySearchRefine, `auto-amct` AMCT's flow
 * (BinarySearchRefine, balancer: false). --skip takes layer names or,
 * for short, unique suffixes of them ("dense_2/BiasAdd"); it applies to `default`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import * as amct from '../../src';
import { evaluateAuto } from './auto';
import { AccuracyRow, COSINE_TARGET, evaluateMnist, evaluateModel } from './evaluate';
import { MODELS, modelSpec } from './models';
import type { Variant } from './quantize';
import { floatLayerList, outputTable, TableColumn, taskTable } from './table';

const f4 = (x: number) => x.toFixed(4);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function formatRow(r: AccuracyRow): string[] {
  const lines = [`${r.model} [${r.variant}]: ${r.quantizedLayers} layers quantized, ${r.heldOut} held-out inputs, ${r.seconds.toFixed(0)} s`];
  if (r.accuracy) {
    const a = r.accuracy;
    lines.push(`  accuracy on ${a.count} labeled digits: float ${pct(a.float)}, INT8 ${pct(a.int8)}; on the ${r.heldOut} held-out: float ${pct(a.floatHeldOut)}, INT8 ${pct(a.int8HeldOut)}`);
  }
  for (const t of r.task) lines.push(`  task: ${t.name}: ${t.unit === 'px' || t.unit === 'years' ? t.value.toFixed(3) + ' ' + t.unit : t.value.toFixed(4) + ' ' + t.unit} (${t.detail})`);
  for (const o of r.outputs) {
    const top1 = o.top1 === undefined ? '' : `, top-1 agreement ${pct(o.top1)}`;
    const flag = o.meanCosine < COSINE_TARGET ? `  << below ${COSINE_TARGET}` : '';
    lines.push(`  ${o.output}: cosine mean ${f4(o.meanCosine)}, min ${f4(o.minCosine)}, mean |Δ| ${o.meanAbsError.toPrecision(3)}${top1}${flag}`);
  }
  if (r.floatLayers?.length) lines.push(`  float layers (${r.floatLayers.length}): ${r.floatLayers.join(', ')}`);
  if (r.worstLayers) {
    lines.push('  layers losing the most (input cosine → output cosine, drop):');
    for (const l of r.worstLayers) lines.push(`    ${l.layer} (${l.op}): ${f4(l.inputCosine)} → ${f4(l.outputCosine)} (drop ${f4(l.drop)})`);
  }
  return lines;
}

/** Full layer names from names or unique suffixes, checked against the model's layers. */
async function resolveLayers(model: string, wanted: string[], flag: '--skip' | '--dmq-layers'): Promise<string[]> {
  if (wanted.length === 0) return [];
  const graph = await amct.loadGraph(model);
  amct.prepareGraph(graph, { doFusion: true });
  const layers = amct.findLayers(graph).map((l) => l.name);
  return wanted.map((w) => {
    const hits = layers.filter((l) => l === w || l.endsWith(`/${w}`));
    if (hits.length !== 1) throw new Error(`${flag} ${w}: ${hits.length} layers match (${hits.slice(0, 3).join(', ')})`);
    return hits[0];
  });
}

interface RunContext {
  outRoot: string;
  backend?: amct.BackendName;
  variant: Variant;
  diagnose: boolean | 'auto';
  worst: number;
  skips: string[];
  /** --dmq-layers layer=α,...: names or unique suffixes, resolved per model. */
  dmqLayers: [string, number][];
}

/**
 * The configurations a table column can show. Each measures one model and returns its
 * row, or undefined when it does not apply (MNIST has no auto target). A new column (a
 * DMQ balancer configuration, say) is one more entry here.
 */
export const CONFIGURATIONS: Record<string, { title: string; run(name: string, ctx: RunContext): Promise<AccuracyRow | undefined> }> = {
  default: {
    title: 'Default INT8',
    async run(name, ctx) {
      const outDir = path.join(ctx.outRoot, name);
      if (name === 'mnist') return evaluateMnist({ outDir, backend: ctx.backend, variant: ctx.variant });
      const spec = modelSpec(name);
      fs.mkdirSync(outDir, { recursive: true });
      const model = await spec.model(outDir);
      const skipLayers = await resolveLayers(model, ctx.skips, '--skip');
      const dmqNames = await resolveLayers(model, ctx.dmqLayers.map(([l]) => l), '--dmq-layers');
      const dmqLayers = ctx.dmqLayers.length ? Object.fromEntries(dmqNames.map((n, i) => [n, ctx.dmqLayers[i][1]])) : undefined;
      return evaluateModel(spec, { outDir, backend: ctx.backend, variant: { ...ctx.variant, skipLayers, dmqLayers }, diagnose: ctx.diagnose, worst: ctx.worst });
    },
  },
  auto: autoConfiguration('Auto-calibrated (defaults: BinarySearch + balancer step)', 'BinarySearch'),
  'auto-refine': autoConfiguration('Auto-calibrated (BinarySearchRefine + balancer step)', 'BinarySearchRefine'),
  'auto-amct': autoConfiguration("Auto-calibrated, AMCT's flow (BinarySearchRefine, balancer: false)", 'BinarySearchRefine', false),
};

function autoConfiguration(title: string, strategy: amct.StrategyName, balancer?: boolean): (typeof CONFIGURATIONS)[string] {
  return {
    title,
    async run(name, ctx) {
      const spec = name === 'mnist' ? undefined : modelSpec(name);
      if (!spec?.autoTarget) return undefined;
      const dir = balancer === false ? `${strategy}-no-balancer` : strategy;
      return evaluateAuto(spec, { outDir: path.join(ctx.outRoot, dir, name), backend: ctx.backend, target: spec.autoTarget, strategy, balancer });
    },
  };
}

function writeTables(file: string, names: string[], columns: TableColumn[]): void {
  const parts = ['<!-- generated by examples/accuracy/run.ts --table -->', '', taskTable(names, columns), '', outputTable(names, columns)];
  for (const c of columns.filter((c) => c.title.startsWith('Auto'))) parts.push('', `Float layers, ${c.title}:`, '', floatLayerList(names, c));
  fs.writeFileSync(file, parts.join('\n') + '\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'all' },
      config: { type: 'string', default: 'default' },
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
      table: { type: 'string' },
    },
  });
  const started = Date.now();
  const names = values.model === 'all' ? ['mnist', ...MODELS.map((m) => m.name)] : values.model!.split(',');
  const variant: Variant = { actAlgo: values['act-algo'] === 'hfmg' ? 'hfmg' : 'ifmr' };
  if (values.percentile !== undefined) variant.percentile = Number(values.percentile);
  if (values.dmq !== undefined) variant.dmqBalancer = Number(values.dmq);
  const ctx: RunContext = {
    outRoot: path.resolve(values.out ?? path.join('out', 'accuracy')),
    backend: values.backend as amct.BackendName | undefined,
    variant,
    diagnose: values.diagnose ? true : values.worst === '0' ? false : 'auto', // --worst 0: no diagnosis
    worst: Number(values.worst ?? 5),
    skips: values.skip ? values.skip.split(',') : [],
    dmqLayers: (values['dmq-layers']?.split(',') ?? []).map((kv) => {
      const [l, a] = kv.split('=');
      return [l, Number(a)];
    }),
  };
  const columns: TableColumn[] = values.config!.split(',').map((key) => {
    if (!CONFIGURATIONS[key]) throw new Error(`--config ${key}: one of ${Object.keys(CONFIGURATIONS).join(', ')}`);
    return { title: CONFIGURATIONS[key].title, rows: new Map<string, AccuracyRow>() };
  });
  const keys = values.config!.split(',');
  const rows: AccuracyRow[] = [];
  for (const name of names) {
    for (const [i, key] of keys.entries()) {
      const row = await CONFIGURATIONS[key].run(name, ctx);
      if (!row) continue;
      columns[i].rows.set(name, row);
      rows.push(row);
      console.log(formatRow(row).join('\n'));
      if (values.json) fs.writeFileSync(values.json, JSON.stringify(rows, null, 2) + '\n'); // after every row: a long run keeps what it has
      if (values.table) writeTables(values.table, names, columns);
    }
  }
  console.log(`${rows.length} rows in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    process.exit(1);
  });
}
