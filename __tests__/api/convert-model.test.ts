/**
 * convertModel: the deployable model from a record written by hand. Same files as
 * saveModel for the same record; errors worded for a hand-written record.
 */
import * as fs from 'fs';
import * as path from 'path';
import { convertModel, saveModel } from '../../src/api/save-model';
import { attr, DataType, int32Tensor } from '../../src/ir';
import { GraphBuilder } from '../helpers/graph-builders';
import { randomFeeds } from '../passes/session-compare';
import { cosine, runSession, tmpDir, writeModel } from './save-fixtures';

// Written by hand: input in [-1, 1] (scale 2/255, offset 0 ↔ min −1), weights in [-1, 1] (1/127).
const RECORD = `# my own factors
record {
  key: "conv"
  value { scale_d: 0.00784313772 offset_d: 0 scale_w: 0.00787401572 }
}
record {
  key: "fc"
  value {
    scale_d: 0.2
    offset_d: -128
    scale_w: 0.00787401572
  }
}
`;

function model(): GraphBuilder {
  const b = new GraphBuilder(91);
  const c = b.unary('r', 'Relu', b.biasAdd('ba', b.conv2d('conv', b.input('input', [1, 4, 4, 2]), [3, 3, 2, 3]), 3));
  b.graph.addNode({ name: 'flat/shape', op: 'Const', attr: { dtype: attr.type(DataType.DT_INT32), value: attr.tensor(int32Tensor([2], [1, 48])) } });
  const flat = b.node('flat', 'Reshape', [c, 'flat/shape'], { Tshape: attr.type(DataType.DT_INT32) });
  b.unary('out', 'Identity', b.matmul('fc', flat, [48, 4]));
  return b;
}

async function setup(record = RECORD): Promise<{ dir: string; modelPath: string; recordPath: string }> {
  const dir = tmpDir();
  const recordPath = path.join(dir, 'record.txt');
  fs.writeFileSync(recordPath, record);
  return { dir, modelPath: await writeModel(model().graph, dir), recordPath };
}

describe('convertModel', () => {
  test('writes what saveModel writes for the same record, and runs close to float', async () => {
    const s = await setup();
    const converted = await convertModel(s.modelPath, ['out'], s.recordPath, path.join(s.dir, 'conv'));
    const saved = await saveModel(s.modelPath, ['out'], s.recordPath, path.join(s.dir, 'save'));
    expect(converted.layers).toEqual(['conv', 'fc']);
    expect(fs.readFileSync(converted.quantizedPb)).toEqual(fs.readFileSync(saved.quantizedPb));
    const a = JSON.parse(fs.readFileSync(converted.quantJson, 'utf8'));
    const b = JSON.parse(fs.readFileSync(saved.quantJson, 'utf8'));
    expect({ ...a, quantized_model: '' }).toEqual({ ...b, quantized_model: '' });
    expect(a.quantized_model).toBe('conv_quantized.pb');
    const g = model().graph;
    const feeds = randomFeeds(g, 9);
    const [float] = await runSession(g, ['out'], feeds);
    const [int8] = await runSession(converted.graph, ['out'], feeds);
    expect(cosine(float.data as Float32Array, int8.data as Float32Array)).toBeGreaterThan(0.99);
  });

  test('a layer without scale_d: worded for a hand-written record', async () => {
    const s = await setup('record { key: "conv" value { scale_w: 0.01 } }\n');
    const e = await convertModel(s.modelPath, ['out'], s.recordPath, path.join(s.dir, 'x')).catch((x) => x);
    expect(e.code).toBe('RECORD_MISSING_LAYER');
    expect(e.message).toMatch(/^cannot find scale_d of layer conv in record_file, please check the record_file/);
    expect(e.hint).toMatch(/give scale_d/);
  });

  test('a key that is no layer: the hint is about the names in the record', async () => {
    const s = await setup('record { key: "Conv" value { scale_d: 0.1 scale_w: 0.01 } }\n');
    const e = await convertModel(s.modelPath, ['out'], s.recordPath, path.join(s.dir, 'x')).catch((x) => x);
    expect(e.code).toBe('RECORD_MODEL_MISMATCH');
    expect(e.layer).toBe('Conv');
    expect(e.hint).toMatch(/check the keys of your record/);
  });

  test('rejects a model that already holds calibration or Ascend ops', async () => {
    const s = await setup();
    const first = await convertModel(s.modelPath, ['out'], s.recordPath, path.join(s.dir, 'a'));
    const e = await convertModel(first.quantizedPb, ['out'], s.recordPath, path.join(s.dir, 'b')).catch((x) => x);
    expect(e.code).toBe('MODEL_ALREADY_QUANTIZED');
    expect(e.message).toMatch(/convert_model needs a float model/);
    expect(fs.existsSync(path.join(s.dir, 'b_quantized.pb'))).toBe(false);
  });

  test('an empty record and unknown outputs', async () => {
    const s = await setup('\n');
    expect(await convertModel(s.modelPath, ['out'], s.recordPath, path.join(s.dir, 'x')).catch((x) => x.code)).toBe('RECORD_EMPTY');
    const t = await setup();
    expect(await convertModel(t.modelPath, ['nope'], t.recordPath, path.join(t.dir, 'x')).catch((x) => x.code)).toBe('NODE_NOT_FOUND');
  });
});
