/**
 * The README's main job, end to end on the committed MNIST CNN: the INT8 model must lose
 * at most 0.3 points of top-1 accuracy on the 10,000 labeled digits, be smaller, and the
 * output folder must hold the four AMCT files.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataType, loadGraph } from '../../src';
import { readRecord } from '../../src/record';
import { runMnistQuantization, MnistQuantizationResult } from '../../examples/mnist/quantize';

let outDir: string;
let result: MnistQuantizationResult;

beforeAll(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amct-mnist-'));
  result = await runMnistQuantization({ outDir, backend: 'wasm' });
});

afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

test('INT8 loses at most 0.3 points of top-1 accuracy on the 10,000 digits', () => {
  expect(result.evaluated).toBe(10000);
  expect(result.floatAccuracy).toBeGreaterThan(0.98); // measured 0.9906 when the model was trained
  expect(result.floatAccuracy - result.int8Accuracy).toBeLessThanOrEqual(0.003);
  expect(result.floatHeldOut - result.int8HeldOut).toBeLessThanOrEqual(0.005);
});

test('every conv, depthwise and dense layer is quantized', () => {
  // 4 Conv2D + 2 DepthwiseConv2dNative + 2 MatMul + 1 AvgPool in the model (examples/mnist/model/README.md).
  const kinds = result.quantizedLayers.join(' ');
  expect(result.quantizedLayers.length).toBeGreaterThanOrEqual(8);
  expect(kinds).toMatch(/conv1/);
  expect(kinds).toMatch(/depthwise/i);
});

test('the output folder holds config, record, quantized model and map; the model is INT8', async () => {
  for (const f of Object.values(result.files)) expect(fs.existsSync(f)).toBe(true);
  const records = await readRecord(result.files.record);
  expect(records.size).toBeGreaterThanOrEqual(result.quantizedLayers.length);
  const graph = await loadGraph(result.files.quantizedPb);
  const ops = graph.nodes().map((n) => n.op);
  expect(ops.filter((o) => o === 'AscendQuant').length).toBeGreaterThanOrEqual(8);
  expect(ops.filter((o) => o === 'AscendDequant').length).toBeGreaterThanOrEqual(8);
  const int8 = graph.nodes().filter((n) => n.op === 'Const' && n.attr.dtype?.kind === 'type' && n.attr.dtype.value === DataType.DT_INT8);
  expect(int8.length).toBeGreaterThanOrEqual(8);
  // No float conv weights remain: INT8 weights make the file smaller.
  expect(result.int8Bytes).toBeLessThan(result.floatBytes * 0.6);
});
