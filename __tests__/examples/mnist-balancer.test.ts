/**
 * The DMQ balancer's effect (SPEC §10, issue 9 item 4) on the MNIST CNN rescaled so that a
 * few of fc1's input channels are 500× the others (examples/mnist/rescaled.ts, function-
 * preserving): plain INT8 must lose at least 10 points of top-1 accuracy on the 10,000
 * digits, and INT8 with the balancer on every layer with weights (α = 0.5) must stay within
 * 0.5 point of float. Measured: float 99.06%, plain INT8 10.77%, balanced INT8 99.06%.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadGraph, saveGraph } from '../../src';
import { MNIST_MODEL, runMnistQuantization, MnistQuantizationResult } from '../../examples/mnist/quantize';
import { rescaleMnist } from '../../examples/mnist/rescaled';

let dir: string;
let plain: MnistQuantizationResult;
let balanced: MnistQuantizationResult;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-mnist-dmq-'));
  const graph = await loadGraph(MNIST_MODEL);
  rescaleMnist(graph);
  const model = path.join(dir, 'mnist_rescaled.pb');
  await saveGraph(graph, model);
  plain = await runMnistQuantization({ outDir: path.join(dir, 'plain'), backend: 'wasm', modelFile: model });
  balanced = await runMnistQuantization({ outDir: path.join(dir, 'balanced'), backend: 'wasm', modelFile: model, dmqBalancerParam: 0.5 });
}, 300000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the rescaling preserves the float model (accuracy 99.06% as the original)', () => {
  expect(plain.evaluated).toBe(10000);
  expect(plain.floatAccuracy).toBeGreaterThan(0.985);
});

test('plain INT8 loses at least 10 points', () => {
  expect(plain.floatAccuracy - plain.int8Accuracy).toBeGreaterThanOrEqual(0.1);
});

test('INT8 with the balancer on every layer stays within 0.5 point of float', () => {
  expect(balanced.floatAccuracy - balanced.int8Accuracy).toBeLessThanOrEqual(0.005);
});

test('fc1 is balanced through a Mul (its producer is a Mul by a [32] gain read through a flatten)', () => {
  const json = JSON.parse(fs.readFileSync(balanced.files.quantJson, 'utf8'));
  expect(json.layers['fc1/MatMul'].dmq_balancer).toMatchObject({ factors: 288 });
  for (const layer of balanced.quantizedLayers) {
    if (json.layers[layer].kind === 'avgpool') continue;
    expect(json.layers[layer].dmq_balancer).toBeDefined();
  }
});
