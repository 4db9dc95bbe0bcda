/**
 * saveModel's failures a user can cause, each a typed error with a stable code, the layer
 * or node, and a hint; no output file is written when one happens; inputs are never
 * touched (bytes and mtime), and outputs that would replace an input are refused.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { saveModel } from '../../src/api/save-model';
import { AmctError } from '../../src/errors';
import { attr, DataType, int32Tensor } from '../../src/ir';
import { saveGraph } from '../../src/io';
import type { KeyedLayerRecord } from '../../src/record';
import { GraphBuilder } from '../helpers/graph-builders';
import { randomFeeds } from '../passes/session-compare';
import { calibrate, tmpDir, writeModel, writeRecordFile } from './save-fixtures';
import { SCENARIOS } from './save-scenarios';

/** conv → BiasAdd → Relu, then MatMul with transpose_b (not quantizable), Add of two activations, BatchMatMul of two. */
function model(): GraphBuilder {
  const b = new GraphBuilder(51);
  SCENARIOS[0].build(b); // input → conv → ba → out
  b.graph.addNode({ name: 'flat/shape', op: 'Const', attr: { dtype: attr.type(DataType.DT_INT32), value: attr.tensor(int32Tensor([2], [1, 144])) } });
  const flat = b.node('flat', 'Reshape', ['out', 'flat/shape'], { Tshape: attr.type(DataType.DT_INT32) });
  b.matmul('fc_t', flat, [4, 144], { transposeB: true });
  b.add('sum', 'out', b.unary('neg', 'Neg', 'out'));
  return b;
}

const rec = (key: string, r: Partial<KeyedLayerRecord>): KeyedLayerRecord => ({ key, scaleW: [], offsetW: [], shiftBit: [], ...r });

async function setup(records: KeyedLayerRecord[] | string): Promise<{ dir: string; modelPath: string; recordPath: string; out: string }> {
  const dir = tmpDir();
  const modelPath = await writeModel(model().graph, dir);
  const recordPath = typeof records === 'string' ? path.join(dir, 'record.txt') : await writeRecordFile(dir, records);
  if (typeof records === 'string') fs.writeFileSync(recordPath, records);
  return { dir, modelPath, recordPath, out: path.join(dir, 'out') };
}

async function failure(records: KeyedLayerRecord[] | string, outputs = ['out'], tweak?: (s: Awaited<ReturnType<typeof setup>>) => void): Promise<AmctError> {
  const s = await setup(records);
  tweak?.(s);
  const err = await saveModel(s.modelPath, outputs, s.recordPath, s.out).then(() => undefined, (e) => e);
  expect(err).toBeInstanceOf(AmctError);
  expect(fs.existsSync(`${s.out}_quantized.pb`) || fs.existsSync(`${s.out}_quant.json`)).toBe(false);
  return err as AmctError;
}

const convRecord = () => rec('conv', { scaleD: 0.02, offsetD: -128, scaleW: [0.01, 0.02, 0.03, 0.04], offsetW: [0, 0, 0, 0] });

describe('saveModel errors', () => {
  test('a layer with scale_w but no scale_d', async () => {
    const e = await failure([rec('conv', { scaleW: [0.01], offsetW: [0] })]);
    expect(e.code).toBe('RECORD_MISSING_LAYER');
    expect(e.message).toMatch(/^cannot find scale_d of layer conv in record_file, please check the calibration/);
    expect(e.layer).toBe('conv');
    expect(e.hint).toBeDefined();
  });

  test('a layer that needs two keys (Add with both inputs) gets only one: the recorded one is used', async () => {
    const s = await setup([rec('sum:0', { scaleD: 0.1, offsetD: 0 })]);
    const r = await saveModel(s.modelPath, ['out'], s.recordPath, s.out);
    expect(r.recordKeys).toEqual(['sum:0']);
  });

  test('BatchMatMul of two activations with one input missing from the record', async () => {
    const dir = tmpDir();
    const b = new GraphBuilder(53);
    SCENARIOS[8].build(b);
    const recordPath = await writeRecordFile(dir, [rec('bmm:0', { scaleD: 0.1, offsetD: 0 })]);
    const e = await saveModel(await writeModel(b.graph, dir), ['out'], recordPath, path.join(dir, 'out')).catch((x) => x);
    expect(e.code).toBe('RECORD_MISSING_LAYER');
    expect(e.message).toMatch(/^cannot find scale_d of layer bmm:1 in record_file, please check the calibration/);
  });

  test('a key that is no layer of the model', async () => {
    const e = await failure([convRecord(), rec('no/such/Conv2D', { scaleD: 0.1, scaleW: [0.1] })]);
    expect(e.code).toBe('RECORD_MODEL_MISMATCH');
    expect(e.message).toMatch(/layer no\/such\/Conv2D in record_file does not exist in the model/);
    expect(e.layer).toBe('no/such/Conv2D');
  });

  test('a key of a layer recorded per input, written without the index', async () => {
    const e = await failure([rec('sum', { scaleD: 0.1 })]);
    expect(e.code).toBe('RECORD_MODEL_MISMATCH');
    expect(e.message).toMatch(/AddV2 sum is recorded per input \(sum:0, sum:1\)/);
  });

  test('a key of a layer that cannot be quantized', async () => {
    const e = await failure([rec('fc_t', { scaleD: 0.1, scaleW: [0.1] })]);
    expect(e.code).toBe('RECORD_MODEL_MISMATCH');
    expect(e.message).toMatch(/layer fc_t in record_file cannot be quantized: MatMul with transpose_b=true/);
  });

  test('scale_w count neither 1 nor the output channels; no scale_w at all', async () => {
    const three = await failure([{ ...convRecord(), scaleW: [0.1, 0.1, 0.1], offsetW: [0, 0, 0] }]);
    expect(three.code).toBe('RECORD_MODEL_MISMATCH');
    expect(three.message).toMatch(/layer conv has 3 scale_w values in the record but 4 output channels/);
    const none = await failure([{ ...convRecord(), scaleW: [], offsetW: [] }]);
    expect(none.code).toBe('RECORD_MODEL_MISMATCH');
    expect(none.message).toMatch(/layer conv has no scale_w/);
  });

  test('a quantized bias beyond int32', async () => {
    const e = await failure([rec('conv', { scaleD: 1e-10, offsetD: 0, scaleW: [1e-10], offsetW: [0] })]);
    expect(e.code).toBe('BIAS_OVERFLOW');
    expect(e.message).toMatch(/^Quantized bias of layer conv exceeds int32 range; add it to skip layers/);
    expect(e.layer).toBe('conv');
  });

  test('an empty record', async () => {
    const e = await failure('# nothing calibrated\n');
    expect(e.code).toBe('RECORD_EMPTY');
    expect(e.message).toMatch(/^record_file is empty, no layers to be quantized/);
  });

  test('outputs that are not in the model, or not a list', async () => {
    const e = await failure([convRecord()], ['out', 'logits']);
    expect(e.code).toBe('NODE_NOT_FOUND');
    expect(e.node).toBe('logits');
    expect(e.message).toMatch(/output logits does not exist in the model/);
    const notList = await failure([convRecord()], 'out' as unknown as string[]);
    expect(notList.code).toBe('INVALID_ARGUMENT');
  });

  test('a model that already holds calibration or Ascend ops', async () => {
    const s = await setup([convRecord()]);
    const first = await saveModel(s.modelPath, ['out'], s.recordPath, s.out);
    const again = await saveModel(first.quantizedPb, ['out'], s.recordPath, path.join(s.dir, 'again')).catch((e) => e);
    expect(again.code).toBe('MODEL_ALREADY_QUANTIZED');
    expect(again.message).toMatch(/AscendQuant node conv\/quant\/AscendQuant/);
    const b = model();
    b.graph.insertOnEdge('input', { name: 'conv/act_quant/QuantIfmr', op: 'QuantIfmr' });
    const calib = await writeModel(b.graph, s.dir, 'calib.pb');
    const e = await saveModel(calib, ['out'], s.recordPath, path.join(s.dir, 'c')).catch((x) => x);
    expect(e.code).toBe('MODEL_ALREADY_QUANTIZED');
    expect(e.node).toBe('conv/act_quant/QuantIfmr');
  });

  test('outputs that would replace an input are refused before anything is written', async () => {
    const s = await setup([convRecord()]);
    const model2 = path.join(s.dir, 'm_quantized.pb');
    fs.copyFileSync(s.modelPath, model2);
    const e = await saveModel(model2, ['out'], s.recordPath, path.join(s.dir, 'm')).catch((x) => x);
    expect(e.code).toBe('OUTPUT_WOULD_OVERWRITE_INPUT');
    expect(fs.existsSync(path.join(s.dir, 'm_quant.json'))).toBe(false);
    const rec2 = path.join(s.dir, 'r_quant.json');
    fs.copyFileSync(s.recordPath, rec2);
    const e2 = await saveModel(s.modelPath, ['out'], rec2, path.join(s.dir, 'r')).catch((x) => x);
    expect(e2.code).toBe('OUTPUT_WOULD_OVERWRITE_INPUT');
    expect(fs.existsSync(path.join(s.dir, 'r_quantized.pb'))).toBe(false);
  });

  test('a model file that does not exist; a folder that does not exist', async () => {
    const s = await setup([convRecord()]);
    const e = await saveModel(path.join(s.dir, 'missing.pb'), ['out'], s.recordPath, s.out).catch((x) => x);
    expect(e.code).toBe('FILE_NOT_FOUND');
    const w = await saveModel(s.modelPath, ['out'], s.recordPath, path.join(s.dir, 'no', 'such', 'out')).catch((x) => x);
    expect(w.code).toBe('FILE_WRITE_FAILED');
  });
});

function fingerprint(file: string): { hash: string; mtimeMs: number; size: number } {
  const st = fs.statSync(file);
  return { hash: createHash('sha256').update(fs.readFileSync(file)).digest('hex'), mtimeMs: st.mtimeMs, size: st.size };
}

describe('inputs stay untouched', () => {
  test('.pb model and record: same bytes and mtime after saveModel', async () => {
    const s = await setup([convRecord()]);
    const before = [s.modelPath, s.recordPath].map(fingerprint);
    await saveModel(s.modelPath, ['out'], s.recordPath, s.out);
    expect([s.modelPath, s.recordPath].map(fingerprint)).toEqual(before);
    expect(fs.readdirSync(s.dir).sort()).toEqual(['model.pb', 'out_quant.json', 'out_quantized.pb', 'record.txt']);
  });

  test('a graph model (model.json + shard) as input; its files untouched', async () => {
    const dir = tmpDir();
    const b = new GraphBuilder(52);
    SCENARIOS[11].build(b); // _FusedConv2D, as the tfjs converter writes it
    const json = path.join(dir, 'model.json');
    await saveGraph(b.graph, json);
    const files = fs.readdirSync(dir).map((f) => path.join(dir, f));
    const before = files.map(fingerprint);
    const records = await calibrate(b.graph, [randomFeeds(b.graph, 1)]);
    const r = await saveModel(json, ['F'], await writeRecordFile(dir, records), path.join(dir, 'out'));
    expect(files.map(fingerprint)).toEqual(before);
    expect(r.layers).toEqual(['F']);
    expect(fs.existsSync(r.quantizedPb)).toBe(true);
  });
});
