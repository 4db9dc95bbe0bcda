/**
 * inspectModel and `amct-ts inspect`: the names a user feeds and fetches, and the layers
 * amct-ts quantizes (with reasons for the others), on the MNIST .pb, a TensorFlow.js
 * model.json with a signature, and a hand-built graph with one unquantizable layer.
 */
import * as path from 'path';
import { inspectModel } from '../../src/api/inspect-model';
import { main } from '../../src/cli/main';
import { loadGraph } from '../../src/io';
import { capture } from '../cli/fakes';
import { GraphBuilder } from '../helpers/graph-builders';
import { humanModel } from '../helpers/models';

const MNIST = path.join(__dirname, '..', '..', 'examples', 'mnist', 'model', 'mnist_cnn.pb');

test('MNIST .pb: one float input [?,28,28,1], the softmax output, 12 quantizable layers', async () => {
  const graph = await loadGraph(MNIST);
  const before = graph.size;
  const r = inspectModel(graph);
  expect(r.inputs).toEqual([{ name: 'input', op: 'Placeholder', dtype: 'DT_FLOAT', shape: [-1, 28, 28, 1] }]);
  expect(r.outputs.map((o) => o.name)).toEqual(['output']);
  // 9 weighted/AvgPool layers + 3 tensor-quantization candidates (MaxPool, 2 Adds)
  expect(r.quantizable).toHaveLength(12);
  expect(r.quantizable.filter((l) => l.kind === 'tensor').map((l) => l.op).sort()).toEqual(['AddV2', 'AddV2', 'MaxPool']);
  expect(new Set(r.quantizable.map((l) => l.kind))).toEqual(new Set(['conv2d', 'depthwise', 'matmul', 'avgpool', 'tensor']));
  expect(r.signature).toBeUndefined();
  expect(r.nodeCount).toBe(before);
  expect(Object.values(r.ops).reduce((a, b) => a + b, 0)).toBe(before);
  expect(graph.size).toBe(before); // the user's graph is not prepared in place
});

test('TensorFlow.js model.json: the signature outputs name the tensors to fetch', async () => {
  const r = inspectModel(await loadGraph(humanModel('antispoof').path));
  expect(r.signature?.inputs).toEqual([{ key: 'conv2d_input', name: 'conv2d_input:0', dtype: 'DT_FLOAT', shape: [-1, 128, 128, 3] }]);
  expect(r.signature?.outputs).toEqual([{ key: 'activation_4', name: 'Identity:0', dtype: 'DT_FLOAT', shape: [-1, 1] }]);
  expect(r.outputs.map((o) => o.name)).toEqual(['Identity']);
  expect(r.inputs.map((i) => i.name)).toEqual(['conv2d_input']);
  expect(r.quantizable.length).toBeGreaterThan(0);
});

test('a layer that cannot be quantized is listed with its reason', () => {
  const b = new GraphBuilder();
  const x = b.input('x');
  b.conv2d('ok', x, [1, 1, 3, 4]);
  b.conv2d('bad', 'ok', 'x'); // filter from a Placeholder
  const r = inspectModel(b.graph);
  expect(r.quantizable.map((l) => l.name)).toEqual(['ok']);
  expect(r.notQuantizable).toEqual([{ name: 'bad', op: 'Conv2D', reason: 'filter of Conv2D comes from Placeholder x, not a Const' }]);
  expect(r.outputs.map((o) => o.name)).toEqual(['bad']);
});

test('inspectModel refuses something that is not a Graph', () => {
  expect(() => inspectModel({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
});

describe('amct-ts inspect', () => {
  async function run(argv: string[]) {
    const io = capture();
    const code = await main(argv, { stdout: io.stdout, stderr: io.stderr, isTTY: false });
    return { code, out: io.out(), err: io.err() };
  }

  test('prints inputs, outputs and layers of the MNIST model', async () => {
    const r = await run(['inspect', '--model', MNIST]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('Inputs (1), feed these:\n  input  Placeholder  DT_FLOAT  [?,28,28,1]');
    expect(r.out).toMatch(/Outputs \(1, nodes nothing reads\), fetch these:\n {2}output {2}Softmax/);
    expect(r.out).toContain('Quantizable layers (12):');
  });

  test('--json prints the inspection as JSON', async () => {
    const r = await run(['inspect', '--model', MNIST, '--json']);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.out);
    expect(parsed.inputs[0].name).toBe('input');
    expect(parsed.quantizable).toHaveLength(12);
  });

  test('without --model: a usage error (exit 2); a missing file: exit 1 with FILE_NOT_FOUND', async () => {
    const usage = await run(['inspect']);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('--model is required');
    const missing = await run(['inspect', '--model', path.join(__dirname, 'no-such-model.pb')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no-such-model\.pb/);
  });
});
