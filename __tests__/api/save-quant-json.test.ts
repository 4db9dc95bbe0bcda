/**
 * `<savePath>_quant.json` against a golden file: a fetched _FusedConv2D that another layer
 * reads (unfused; its name goes back to the end of the chain), a conv with a folded BN,
 * and MaxPool tensor quantization, from a hand-written record.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { saveModel } from '../../src/api/save-model';
import { loadGraph } from '../../src/io';
import { GraphBuilder } from '../helpers/graph-builders';
import { randomFeeds } from '../passes/session-compare';
import { readRecord } from '../../src/record';
import { fakeQuantGraph, relativeError, runSession, tmpDir, writeModel } from './save-fixtures';

const RECORD = `record {
  key: "F"
  value {
    scale_d: 0.0235294122
    offset_d: -128
    scale_w: 0.01
    scale_w: 0.02
    scale_w: 0.03
    scale_w: 0.04
  }
}
record {
  key: "c"
  value {
    scale_d: 0.05
    offset_d: -128
    scale_w: 0.02
  }
}
record {
  key: "mp:0"
  value {
    scale_d: 0.1
    offset_d: 0
  }
}
`;

function build(): GraphBuilder {
  const b = new GraphBuilder(61);
  const x = b.input('input', [1, 6, 6, 3]);
  const f = b.fused('F', '_FusedConv2D', x, b.const('F/w', [3, 3, 3, 4]), ['BiasAdd', 'Relu'], [b.const('F/b', [4])]);
  const bn = b.batchNorm('bn', b.conv2d('c', f, [1, 1, 4, 4]), 4);
  b.unary('out', 'Identity', b.pool('mp', 'MaxPool', bn));
  return b;
}

/** The expected file, as an object: the test compares the exact text (2-space JSON + newline). */
const GOLDEN = {
  version: 1,
  producer: 'amct-ts',
  source_model: 'model.pb',
  record_file: 'record.txt',
  quantized_model: 'deploy_quantized.pb',
  outputs: ['out', 'F'],
  layers: {
    'F': {
      op: 'Conv2D',
      kind: 'conv2d',
      origins: ['F'],
      record_keys: ['F'],
      node: 'F/Conv2D',
      nodes: ['F/quant/AscendQuant', 'F/weight_quant/int8', 'F/weight_quant/offset_w', 'F/weight_quant/AscendWeightQuant', 'F/bias_quant/int32', 'F/bias_quant/Cast', 'F/dequant/deq_scale', 'F/dequant/AscendDequant'],
      output: 'F/dequant/AscendDequant',
    },
    'c': {
      op: 'Conv2D',
      kind: 'conv2d',
      origins: ['c', 'bn'],
      record_keys: ['c'],
      node: 'c',
      nodes: ['c/quant/AscendQuant', 'c/weight_quant/int8', 'c/weight_quant/offset_w', 'c/weight_quant/AscendWeightQuant', 'c/bias_quant/int32', 'c/bias_quant/Cast', 'c/dequant/deq_scale', 'c/dequant/AscendDequant'],
      output: 'c/dequant/AscendDequant',
    },
    'mp': {
      op: 'MaxPool',
      kind: 'tensor',
      origins: ['mp'],
      record_keys: ['mp:0'],
      node: 'mp',
      nodes: ['mp/quant/AscendQuant', 'mp/anti_quant_0/AscendAntiQuant'],
    },
  },
  nodes: {
    'F': { origins: ['F'] },
    'F/BiasAdd': { origins: ['F'], layer: 'F', role: 'bias_add' },
    'F/Conv2D': { origins: ['F'], layer: 'F', role: 'layer' },
    'F/bias_quant/Cast': { origins: ['F'], layer: 'F', role: 'bias_cast' },
    'F/bias_quant/int32': { origins: ['F'], layer: 'F', role: 'bias_int32' },
    'F/dequant/AscendDequant': { origins: ['F'], layer: 'F', role: 'dequant' },
    'F/dequant/deq_scale': { origins: ['F'], layer: 'F', role: 'deq_scale' },
    'F/quant/AscendQuant': { origins: ['F'], layer: 'F', role: 'quant' },
    'F/weight_quant/AscendWeightQuant': { origins: ['F'], layer: 'F', role: 'weight_quant' },
    'F/weight_quant/int8': { origins: ['F'], layer: 'F', role: 'weight_int8' },
    'F/weight_quant/offset_w': { origins: ['F'], layer: 'F', role: 'offset_w' },
    'bn': { origins: ['bn'], layer: 'c', role: 'bias_add' },
    'c': { origins: ['c', 'bn'], layer: 'c', role: 'layer' },
    'c/bias_quant/Cast': { origins: ['c', 'bn'], layer: 'c', role: 'bias_cast' },
    'c/bias_quant/int32': { origins: ['c', 'bn'], layer: 'c', role: 'bias_int32' },
    'c/dequant/AscendDequant': { origins: ['bn'], layer: 'c', role: 'dequant' },
    'c/dequant/deq_scale': { origins: ['c', 'bn'], layer: 'c', role: 'deq_scale' },
    'c/quant/AscendQuant': { origins: ['c', 'bn'], layer: 'c', role: 'quant' },
    'c/weight_quant/AscendWeightQuant': { origins: ['c', 'bn'], layer: 'c', role: 'weight_quant' },
    'c/weight_quant/int8': { origins: ['c', 'bn'], layer: 'c', role: 'weight_int8' },
    'c/weight_quant/offset_w': { origins: ['c', 'bn'], layer: 'c', role: 'offset_w' },
    'mp': { origins: ['mp'], layer: 'mp', role: 'layer' },
    'mp/anti_quant_0/AscendAntiQuant': { origins: ['mp'], layer: 'mp', role: 'anti_quant' },
    'mp/quant/AscendQuant': { origins: ['mp'], layer: 'mp', role: 'quant' },
  },
};

describe('_quant.json', () => {
  test('matches the golden file', async () => {
    const dir = tmpDir();
    const b = build();
    const record = path.join(dir, 'record.txt');
    fs.writeFileSync(record, RECORD);
    const r = await saveModel(await writeModel(b.graph, dir), ['out', 'F'], record, path.join(dir, 'deploy'));
    const text = fs.readFileSync(r.quantJson, 'utf8');
    // The digest ties the json to the .pb written with it (checked against the file in save-pair.test.ts).
    const golden = { ...GOLDEN, quantized_model_sha256: createHash('sha256').update(fs.readFileSync(r.quantizedPb)).digest('hex') };
    expect(JSON.parse(text)).toEqual(golden);
    expect(text).toBe(JSON.stringify(golden, null, 2) + '\n');
  });

  test('every node of the quantized graph not in the float model is listed; names in it exist', async () => {
    const dir = tmpDir();
    const b = build();
    const record = path.join(dir, 'record.txt');
    fs.writeFileSync(record, RECORD);
    const r = await saveModel(await writeModel(b.graph, dir), ['out', 'F'], record, path.join(dir, 'deploy'));
    const q = await loadGraph(r.quantizedPb);
    const json = JSON.parse(fs.readFileSync(r.quantJson, 'utf8'));
    for (const n of q.nodes()) if (!b.graph.has(n.name) || b.graph.getNode(n.name).op !== n.op) expect(json.nodes[n.name]).toBeDefined();
    for (const name of Object.keys(json.nodes)) expect(q.has(name)).toBe(true);
    for (const e of Object.values(json.nodes) as { origins: string[] }[]) for (const o of e.origins) expect(b.graph.has(o)).toBe(true);
  });

  test('the fetched fused op F keeps its value under its name', async () => {
    const dir = tmpDir();
    const b = build();
    const record = path.join(dir, 'record.txt');
    fs.writeFileSync(record, RECORD);
    const r = await saveModel(await writeModel(b.graph, dir), ['out', 'F'], record, path.join(dir, 'deploy'));
    const feeds = randomFeeds(b.graph, 5);
    const records = [...(await readRecord(record))].map(([key, v]) => ({ key, ...v }));
    // In the prepared reference the value of F sits at the end of its unfused chain.
    const reference = fakeQuantGraph(b.graph, records, []);
    const [want] = await runSession(reference.graph, ['F/Relu'], feeds);
    const [got] = await runSession(await loadGraph(r.quantizedPb), ['F'], feeds);
    expect(got.shape).toEqual(want.shape);
    expect(relativeError(want.data as Float32Array, got.data as Float32Array)).toBeLessThanOrEqual(1e-5);
  });
});
