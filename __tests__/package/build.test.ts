/**
 * The published shape of the package: `tsc -p tsconfig.build.json` compiles, and the
 * compiled dist/ (with the shipped schema/ beside it, as in the npm tarball) runs the
 * whole flow and the CLI. ts-jest runs src/ directly, so only this test would notice a
 * file that dist/ cannot find.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
let pkg: string;

beforeAll(() => {
  pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-pkg-'));
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(pkg, 'dist')], { stdio: 'pipe' });
  fs.cpSync(path.join(ROOT, 'schema'), path.join(pkg, 'schema'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
});

afterAll(() => fs.rmSync(pkg, { recursive: true, force: true }));

test('dist/ declares its public API', () => {
  const dts = fs.readFileSync(path.join(pkg, 'dist', 'index.d.ts'), 'utf8');
  for (const name of ['api', 'io', 'runtime', 'errors']) expect(dts).toContain(`./${name}`);
  expect(fs.existsSync(path.join(pkg, 'dist', 'api', 'quantize-model.d.ts'))).toBe(true);
});

test('the compiled package runs config → calibration → save on the MNIST model', () => {
  const script = `
    const amct = require(${JSON.stringify(pkg)});
    const path = require('path');
    (async () => {
      const model = ${JSON.stringify(path.join(ROOT, 'examples', 'mnist', 'model', 'mnist_cnn.pb'))};
      const out = ${JSON.stringify(pkg)};
      const graph = await amct.loadGraph(model);
      await amct.createQuantConfig(path.join(out, 'config.json'), graph, { batchNum: 1 });
      await amct.quantizeModel(graph, path.join(out, 'config.json'), path.join(out, 'record.txt'));
      const s = await amct.Session.create(graph, { backend: 'cpu' });
      const data = new Float32Array(2 * 784).map((_, i) => (i % 29) / 29);
      await s.run(['output'], { input: { data, shape: [2, 28, 28, 1] } });
      s.dispose();
      const r = await amct.saveModel(model, ['output'], path.join(out, 'record.txt'), path.join(out, 'mnist'));
      const q = await amct.Session.create(await amct.loadGraph(r.quantizedPb), { backend: 'cpu' });
      const [p] = await q.run(['output'], { input: { data, shape: [2, 28, 28, 1] } });
      q.dispose();
      console.log(JSON.stringify({ layers: r.layers.length, sum: Array.from(p.data).reduce((a, b) => a + b, 0) }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const stdout = execFileSync(process.execPath, ['-e', script], { cwd: pkg, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const result = JSON.parse(stdout.trim().split('\n').pop()!);
  expect(result.layers).toBe(9);
  expect(result.sum).toBeCloseTo(2, 4); // two softmax rows
});

test('the compiled CLI prints its help and exits 0', () => {
  const cli = path.join(pkg, 'dist', 'cli', 'main.js');
  const top = execFileSync(process.execPath, [cli, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  expect(top).toMatch(/calibration/);
  const command = execFileSync(process.execPath, [cli, 'calibration', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  expect(command).toMatch(/--model MODEL/);
});

test('the compiled CLI runs auto calibration with an ESM evaluator module (--evaluator)', () => {
  const evaluator = path.join(pkg, 'evaluator.mjs');
  fs.writeFileSync(evaluator, `
    import { createRequire } from 'module';
    const amct = createRequire(import.meta.url)(${JSON.stringify(pkg)});
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
  const cli = path.join(pkg, 'dist', 'cli', 'main.js');
  const save = path.join(pkg, 'auto', 'mnist');
  const model = path.join(ROOT, 'examples', 'mnist', 'model', 'mnist_cnn.pb');
  const stdout = execFileSync(process.execPath, [cli, 'calibration', '--model', model, '--outputs', 'output', '--save_path', save, '--evaluator', evaluator], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  // The metric is the mean sum of the softmax rows: 1 for float and INT8 alike.
  expect(stdout).toMatch(/^Auto calibration: metric 1(\.0+)? float, 1(\.0+)? with every layer INT8, .* after 2 evaluation\(s\)\.\nEvery candidate layer is INT8\./);
  for (const suffix of ['_quantized.pb', '_quant.json', '_record.txt', '_config.json']) expect(fs.existsSync(`${save}${suffix}`)).toBe(true);
  expect(fs.existsSync(path.join(pkg, 'auto', 'accuracy_based_auto_calibration_final_config.json'))).toBe(true);
});

test('a TypeScript user of the package type-checks against types/index.d.ts', () => {
  fs.cpSync(path.join(ROOT, 'types'), path.join(pkg, 'types'), { recursive: true });
  const user = path.join(pkg, 'user.ts');
  fs.writeFileSync(
    user,
    `import * as amct from './types';
     async function calibrate(model: string): Promise<string[]> {
       const graph: amct.Graph = await amct.loadGraph(model);
       await amct.createQuantConfig('c.json', graph, { batchNum: 2, skipLayers: [] });
       const r: amct.QuantizeModelResult = await amct.quantizeModel(graph, 'c.json', 'r.txt');
       const s: amct.Session = await amct.Session.create(graph, { backend: 'wasm' });
       s.dispose();
       return r.calibOutputs;
     }
     export { calibrate };`,
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--types', 'node', user], { cwd: pkg, stdio: 'pipe' });
});
