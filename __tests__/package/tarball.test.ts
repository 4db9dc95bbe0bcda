/**
 * The package as npm users get it: `npm pack` (which builds dist/ in `prepack`) on a copy
 * of the repository in a temp folder, then `npm install <tarball>` into a fresh temp
 * project, offline from npm's cache (CI runs `npm ci` first, which fills it). From that
 * project: the whole flow (wasm backend, so the .wasm binaries must resolve from the
 * installed package), `npx amct-ts --help` and `inspect`, and a TypeScript consumer.
 * ts-jest runs src/ directly, so only this test notices a file the tarball lacks.
 * One pack and one install for the whole file.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const MNIST = path.join(ROOT, 'examples', 'mnist', 'model', 'mnist_cnn.pb');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
/** What tfjs-backend-cpu prints on node without tfjs-node; amct-ts must keep it quiet. */
const BANNER = /Hi,? (there|looks like)|install our node backend|tfjs-node for more details/i;

let tmp: string;
let project: string;
let packed: string[];

/** The files `npm pack` reads: package.json with its build, the sources, and what `files` ships. */
function copyRepository(to: string): void {
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md']) fs.copyFileSync(path.join(ROOT, f), path.join(to, f));
  for (const d of ['src', 'schema', 'types', 'docs']) fs.cpSync(path.join(ROOT, d), path.join(to, d), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(to, 'node_modules'), 'dir');
}

function run(cmd: string, args: string[], cwd: string): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' }, timeout: 240_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-tarball-'));
  const repo = path.join(tmp, 'repo');
  fs.mkdirSync(repo);
  copyRepository(repo);
  const pack = run(NPM, ['pack', '--json', '--pack-destination', tmp], repo);
  const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  packed = info[0].files.map((f) => f.path);
  project = path.join(tmp, 'user');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'amct-user', version: '1.0.0', private: true }));
  run(NPM, ['install', '--offline', '--no-audit', '--no-fund', path.join(tmp, info[0].filename)], project);
}, 600_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the tarball holds dist, types, schema, README and the docs it links, and no sources or tests', () => {
  for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/api/inspect-model.js', 'types/index.d.ts', 'schema/quant-config.schema.json', 'README.md', 'docs/api.md', 'package.json']) {
    expect(packed).toContain(f);
  }
  expect(packed.filter((f) => /^(src|__tests__|examples|bench)\//.test(f))).toEqual([]);
  // Every relative link of the README and of the shipped docs (images included) resolves inside the package.
  const pages = ['README.md', ...packed.filter((f) => /^docs\/[^/]+\.md$/.test(f))];
  const links = pages.flatMap((page) =>
    [...fs.readFileSync(path.join(ROOT, page), 'utf8').matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
      .map((m) => m[1])
      .filter((l) => !/^[a-z]+:/.test(l))
      .map((l) => path.posix.normalize(path.posix.join(path.posix.dirname(page), l))),
  );
  expect(links.length).toBeGreaterThan(10);
  expect(links).toContain('docs/images/accuracy-report.png');
  expect(links.filter((l) => !packed.includes(l))).toEqual([]);
});

test('installed from the tarball: only the tfjs packages dist/ loads, tfjs-node not required', () => {
  const tf = fs.readdirSync(path.join(project, 'node_modules', '@tensorflow')).sort();
  expect(tf).toEqual(['tfjs-backend-cpu', 'tfjs-backend-wasm', 'tfjs-converter', 'tfjs-core']);
});

test('the flow runs from the installed package (calibration on wasm, INT8 on cpu) without the tfjs banner', () => {
  const out = path.join(tmp, 'flow');
  fs.mkdirSync(out);
  const script = `
    const amct = require('amct-ts');
    const path = require('path');
    (async () => {
      const model = ${JSON.stringify(MNIST)};
      const out = ${JSON.stringify(out)};
      const graph = await amct.loadGraph(model);
      await amct.createQuantConfig(path.join(out, 'config.json'), graph, { batchNum: 2 });
      const q = await amct.quantizeModel(graph, path.join(out, 'config.json'), path.join(out, 'record.txt'));
      const s = await amct.Session.create(graph, { backend: 'wasm' });
      const data = new Float32Array(2 * 784).map((_, i) => (i % 29) / 29);
      for (let b = 0; b < 2; b++) await s.run(['output'], { input: { data, shape: [2, 28, 28, 1] } });
      const written = await q.recordWritten;
      // Layers whose statistics ran on the statistics thread: dist/runtime/statistics/thread.js, as installed.
      const onThread = [...q.inserted.activation.values()].filter((n) => s.nodeState(n).get('calibration').accumulator.onThread).length;
      s.dispose();
      const r = await amct.saveModel(model, ['output'], path.join(out, 'record.txt'), path.join(out, 'mnist'));
      // The INT8 check on cpu: the backend whose first tensor would print the tfjs banner.
      const int8 = await amct.Session.create(await amct.loadGraph(r.quantizedPb), { backend: 'cpu' });
      const [p] = await int8.run(['output'], { input: { data, shape: [2, 28, 28, 1] } });
      int8.dispose();
      console.log(JSON.stringify({ backend: s.backend, int8Backend: int8.backend, entries: written.entries, layers: r.layers.length, onThread, sum: Array.from(p.data).reduce((a, b) => a + b, 0) }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = run(process.execPath, ['-e', script], project);
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
  expect(result).toMatchObject({ backend: 'wasm', int8Backend: 'cpu', layers: 9 });
  expect(result.entries).toBeGreaterThanOrEqual(9);
  expect(result.onThread).toBeGreaterThan(0);
  expect(result.sum).toBeCloseTo(2, 4); // two softmax rows
  expect(r.stdout + r.stderr).not.toMatch(BANNER);
});

test('npx amct-ts --help and npx amct-ts inspect run the installed CLI', () => {
  const help = run(NPX, ['--no', '--', 'amct-ts', '--help'], project);
  expect(help.stdout).toMatch(/^Usage: amct-ts <command>/);
  expect(help.stdout).toContain('inspect');
  const inspect = run(NPX, ['--no', '--', 'amct-ts', 'inspect', '--model', MNIST], project);
  expect(inspect.stdout).toContain('Inputs (1), feed these:\n  input  Placeholder  DT_FLOAT  [?,28,28,1]');
  expect(inspect.stdout).toContain('Quantizable layers (12):');
  expect(inspect.stdout + inspect.stderr).not.toMatch(BANNER);
});

test('the installed CLI runs auto calibration with an ESM evaluator module (--evaluator)', () => {
  const work = path.join(tmp, 'auto');
  fs.mkdirSync(work);
  const evaluator = path.join(work, 'evaluator.mjs');
  // The evaluator imports amct-ts as a user's module would: resolved from the user's project.
  fs.writeFileSync(evaluator, `
    import { createRequire } from 'module';
    const amct = createRequire(${JSON.stringify(path.join(project, 'package.json'))})('amct-ts');
    const data = new Float32Array(2 * 784).map((_, i) => (i % 29) / 29);
    const feeds = { input: { data, shape: [2, 28, 28, 1] } };
    async function run(graph, outputs) {
      const s = await amct.Session.create(graph, { backend: 'cpu' });
      try { return (await s.run(outputs, feeds))[0].data; } finally { s.dispose(); }
    }
    export default {
      calibration: (graph, outputs) => run(graph, outputs),
      evaluate: async (graph) => Array.from(await run(graph, ['output'])).reduce((a, b) => a + b, 0) / 2,
      metricEval: (original, current) => [Math.abs(original - current) < 1e-3, original - current],
    };`);
  const save = path.join(work, 'mnist');
  const r = run(NPX, ['--no', '--', 'amct-ts', 'calibration', '--model', MNIST, '--outputs', 'output', '--save_path', save, '--evaluator', evaluator], project);
  // The metric is the mean sum of the softmax rows: 1 for float and INT8 alike.
  expect(r.stdout).toMatch(/^Auto calibration: metric 1(\.0+)? float, 1(\.0+)? with every layer INT8, .* after 2 evaluation\(s\)\.\nEvery candidate layer is INT8\./);
  for (const suffix of ['_quantized.pb', '_quant.json', '_record.txt', '_config.json']) expect(fs.existsSync(`${save}${suffix}`)).toBe(true);
  expect(fs.existsSync(path.join(work, 'accuracy_based_auto_calibration_final_config.json'))).toBe(true);
  expect(r.stdout + r.stderr).not.toMatch(BANNER);
});

test('a TypeScript consumer of the installed package type-checks', () => {
  fs.writeFileSync(
    path.join(project, 'user.ts'),
    `import * as amct from 'amct-ts';
     async function calibrate(model: string): Promise<string[]> {
       const graph: amct.Graph = await amct.loadGraph(model);
       const info: amct.ModelInspection = amct.inspectModel(graph);
       await amct.createQuantConfig('c.json', graph, { batchNum: 2, skipLayers: [] });
       const r: amct.QuantizeModelResult = await amct.quantizeModel(graph, 'c.json', 'r.txt', { calibOutputs: [info.outputs[0].name] });
       const s: amct.Session = await amct.Session.create(graph, { backend: 'wasm' });
       const [probs]: amct.FetchedTensor[] = await s.run(r.calibOutputs, { [info.inputs[0].name]: { data: new Float32Array(784), shape: [1, 28, 28, 1] } });
       s.dispose();
       const written: amct.RecordWrittenEvent = await r.recordWritten;
       const saved: amct.SaveModelResult = await amct.saveModel(model, ['output'], written.recordFile, 'out/m');
       try {
         await amct.convertModel(model, ['output'], 'r.txt', 'out/m2');
       } catch (e) {
         if (e instanceof amct.RecordError && e.code === 'RECORD_STALE') console.log(e.hint);
       }
       return [...saved.layers, String(probs.shape)];
     }
     export { calibrate };`,
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const typeRoots = path.join(ROOT, 'node_modules', '@types');
  run(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'commonjs', '--target', 'es2020', '--typeRoots', typeRoots, '--types', 'node', 'user.ts'], project);
});
