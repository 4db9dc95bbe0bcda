/**
 * Scaling with input size: time and peak RSS of each step against node count (chains of
 * 1k, 10k and 100k Identity nodes: load, validate, topological order, save as .pb and as
 * model.json, the passes createQuantConfig runs, Session creation) and against file size
 * for hostile texts and Consts (records of 10 to 1,000 layers, records and .cfg nested
 * 40,000 deep, a Const claiming 10^10 elements). Each case runs in its own child process
 * so its peak RSS is its own; the table prints times measured in this run (nothing is
 * asserted). Linear steps show ~10x time per 10x nodes.
 *
 *   npx ts-node --transpile-only bench/scaling.ts [--sizes 1000,10000,100000] [--no-session]
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createQuantConfig } from '../src/api';
import { parseConfigDefinition } from '../src/config';
import { attr, DataType, Graph } from '../src/ir';
import type { NodeDef } from '../src/ir';
import { encodeGraphDef, loadGraph, saveGraph } from '../src/io';
import { encodeMessage } from '../src/io/pb';
import { formatRecord, parseRecord } from '../src/record';

type Timings = Record<string, number | string>;
interface ChildResult {
  timings: Timings;
  peakRssMB: number;
}


function chainGraph(n: number): Graph {
  const nodes: NodeDef[] = [{ name: 'x', op: 'Placeholder', inputs: [], controlInputs: [], device: '', attr: { dtype: attr.type(DataType.DT_FLOAT), shape: attr.shape([-1, 4]) } }];
  for (let i = 0; i < n; i++) nodes.push({ name: `id${i}`, op: 'Identity', inputs: [i ? `id${i - 1}` : 'x'], controlInputs: [], device: '', attr: { T: attr.type(DataType.DT_FLOAT) } });
  return new Graph(nodes);
}

function records(layers: number): string {
  return formatRecord(Array.from({ length: layers }, (_, i) => ({
    key: `block_${i}/Conv2D`, scaleD: 0.02, offsetD: -128,
    scaleW: Array.from({ length: 256 }, (_, j) => 0.001 * (j + 1)), offsetW: new Array(256).fill(0), shiftBit: [],
  })));
}

async function time(t: Timings, name: string, fn: () => unknown): Promise<void> {
  const t0 = performance.now();
  try {
    await fn();
    t[name] = performance.now() - t0;
  } catch (e) {
    t[name] = `${(performance.now() - t0).toFixed(0)} (${(e as { code?: string }).code ?? (e as Error).name})`;
  }
}

/** Writes the input of a case into `dir`; returns its path. */
function makeInput(kind: string, n: number, dir: string): string {
  const file = (name: string, data: string | Uint8Array) => (fs.writeFileSync(path.join(dir, name), data), path.join(dir, name));
  switch (kind) {
    case 'baseline': return file('empty', '');
    case 'chain': return file('chain.pb', encodeGraphDef(chainGraph(n)));
    case 'record': return file('record.txt', records(n));
    case 'record-nested': return file('record.txt', records(1) + 'record { value {\n'.repeat(n));
    case 'cfg-nested': return file('q.cfg', 'batch_num: 1\n' + 'common_config {'.repeat(n) + '}'.repeat(n));
    case 'const-bomb': return file('bomb.pb', encodeMessage('GraphDef', { node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: { type: 1 } } },
      { name: 'bomb', op: 'Const', attr: { dtype: { type: 1 }, value: { tensor: { dtype: 1, tensorShape: { dim: [{ size: n }, { size: n }] }, floatVal: [1] } } } },
      { name: 'y', op: 'AddV2', input: ['x', 'bomb'], attr: { T: { type: 1 } } },
    ] }));
    default: throw new Error(`unknown case ${kind}`);
  }
}

/** One small run of the same steps first: schema set-up and JIT warm-up are not what is measured. */
async function warmUp(kind: string, dir: string): Promise<void> {
  const warm = fs.mkdtempSync(path.join(dir, 'warm-'));
  if (kind === 'chain' || kind === 'const-bomb') {
    const g = await loadGraph(makeInput('chain', 10, warm));
    g.validate();
    await saveGraph(g, path.join(warm, 'w.pb'));
  } else if (kind === 'cfg-nested') parseConfigDefinition('batch_num: 1\n');
  else if (kind !== 'baseline') parseRecord(records(2));
  fs.rmSync(warm, { recursive: true, force: true });
}

async function child(kind: string, file: string, session: boolean): Promise<void> {
  const t: Timings = {};
  const dir = path.dirname(file);
  await warmUp(kind, dir);
  if (kind === 'chain' || kind === 'const-bomb') {
    let g: Graph | undefined;
    await time(t, 'load', async () => (g = await loadGraph(file)));
    if (g) {
      await time(t, 'validate', () => g!.validate());
      await time(t, 'topo order', () => g!.topologicalOrder());
      await time(t, 'save .pb', () => saveGraph(g!, path.join(dir, 'out.pb')));
      fs.mkdirSync(path.join(dir, 'tfjs'));
      await time(t, 'save model.json', () => saveGraph(g!, path.join(dir, 'tfjs', 'model.json')));
      await time(t, 'createQuantConfig', () => createQuantConfig(path.join(dir, 'q.json'), g!));
      if (session) {
        const { Session } = await import('../src/runtime');
        await time(t, 'Session.create', async () => (await Session.create(g!, { backend: 'cpu' })).dispose());
      }
    }
  } else if (kind !== 'baseline') {
    const text = fs.readFileSync(file, 'utf8');
    const parse = kind === 'cfg-nested' ? () => parseConfigDefinition(text, file) : () => parseRecord(text, file);
    await time(t, 'first parse', parse); // includes compiling the parser's hot loops for this size
    const again: Timings = {};
    for (let i = 0; i < 4; i++) await time(again, `#${i}`, parse);
    const warm = Object.values(again).filter((v): v is number => typeof v === 'number');
    t['warm parse'] = warm.length ? Math.min(...warm) : t['first parse']; // all failed: the first parse's error
  }
  const result: ChildResult = { timings: t, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(result));
}

function runChild(kind: string, file: string, session: boolean): ChildResult {
  const args = ['-r', 'ts-node/register/transpile-only', __filename, '--child', kind, file, session ? 'session' : 'no-session'];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: path.join(__dirname, '..'), encoding: 'utf8', maxBuffer: 1 << 24 }));
}

function cell(v: number | string | undefined): string {
  return v === undefined ? '' : typeof v === 'number' ? v.toFixed(v < 10 ? 1 : 0) : v;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const sizesArg = argv.indexOf('--sizes');
  const sizes = sizesArg >= 0 ? argv[sizesArg + 1].split(',').map(Number) : [1000, 10_000, 100_000];
  const session = !argv.includes('--no-session');
  const cases: [string, number, string][] = [
    ['baseline', 0, 'the process itself (ts-node)'],
    ...sizes.map((n) => ['chain', n, `${n} nodes`] as [string, number, string]),
    ['record', 10, '10 layers'], ['record', 74, '74 layers'], ['record', 1000, '1000 layers'],
    ['record-nested', 40_000, '40,000 deep'], ['cfg-nested', 40_000, '40,000 deep'],
    ['const-bomb', 100_000, 'claims 10^10 floats'],
  ];
  const rows: string[][] = [];
  const columns = new Set<string>();
  const results: [string, string, number, ChildResult][] = [];
  for (const [kind, n, label] of cases) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-scaling-'));
    try {
      const file = makeInput(kind, n, dir);
      const size = fs.statSync(file).size;
      const r = runChild(kind, file, session && n <= 10_000);
      Object.keys(r.timings).forEach((k) => columns.add(k));
      results.push([kind, label, size, r]);
      process.stderr.write(`${kind} ${label}: ${JSON.stringify(r)}\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const cols = [...columns];
  const head = ['case', 'size', 'file KB', ...cols.map((c) => `${c} ms`), 'peak RSS MB'];
  for (const [kind, label, size, r] of results) rows.push([kind, label, (size / 1024).toFixed(0), ...cols.map((c) => cell(r.timings[c])), r.peakRssMB.toFixed(0)]);
  console.log([head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n'));
  console.log(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(', ')} on ${os.cpus().length} cores (times on a shared machine are upper bounds).`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4], process.argv[5] === 'session').catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
