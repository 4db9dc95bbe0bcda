/**
 * analyzeAccuracy's bad input: each a typed error naming what is wrong, raised before any
 * file is written; the model and record are never touched.
 */
import * as fs from 'fs';
import * as path from 'path';
import { analyzeAccuracy, rankLayerSensitivity } from '../../src/analysis';
import { AmctError, FileFormatError, RecordError, SessionError } from '../../src/errors';
import { saveGraph } from '../../src/io';
import { writeRecord } from '../../src/record';
import { tmpDir } from '../api/save-fixtures';
import { rejectionOf as rejection } from '../helpers/errors';
import { GraphBuilder } from '../helpers/graph-builders';
import { feedsOf, twoBrokenLayersNet, writeModelAndRecord } from './analysis-fixtures';

describe('analyzeAccuracy: bad input', () => {
  const b = twoBrokenLayersNet();
  let files: Awaited<ReturnType<typeof writeModelAndRecord>>;
  let before: string[];
  const good = () => feedsOf(b.graph, 7);
  const snapshot = () => [fs.readFileSync(files.model).toString('base64'), fs.readFileSync(files.record, 'utf8')];

  beforeAll(async () => {
    files = await writeModelAndRecord(b.graph, feedsOf(b.graph, 1));
    before = snapshot();
  });

  afterAll(() => {
    expect(snapshot()).toEqual(before);
    expect(fs.readdirSync(files.dir).sort()).toEqual(['model.pb', 'record.txt']);
  });

  test('an empty batches array', async () => {
    const e = await rejection(analyzeAccuracy(files.model, ['out'], files.record, []), SessionError);
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/at least one batch; batches is empty/);
    expect(e.hint).toMatch(/feed maps/);
  });

  test('batches that are not feed maps', async () => {
    const e = await rejection(analyzeAccuracy(files.model, ['out'], files.record, [good()[0], 42 as never]), SessionError);
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/batches\[1\] of analyzeAccuracy is not a feed map/);
  });

  test('a feed naming no placeholder of the model, in the second batch', async () => {
    const [ok] = good();
    const e = await rejection(analyzeAccuracy(files.model, ['out'], files.record, [ok, { ...ok, images: ok.input }], { backend: 'cpu' }), SessionError);
    expect(e.code).toBe('FEED_UNKNOWN');
    expect(e.message).toMatch(/^batches\[1\]: feed "images"/);
    expect(e.hint).toMatch(/placeholders are: input/);
  });

  test('a feed of the wrong shape, and a missing feed', async () => {
    const wrong = { input: { data: new Float32Array(3 * 8 * 8 * 2), shape: [2, 8, 8, 3] } };
    const shape = await rejection(analyzeAccuracy(files.model, ['out'], files.record, [wrong], { backend: 'cpu' }), SessionError);
    expect(shape.code).toBe('FEED_SHAPE_MISMATCH');
    expect(shape.message).toMatch(/^batches\[0\]: .*placeholder input takes \[1,8,8,3\]/);
    const twoInputs = new GraphBuilder(3);
    twoInputs.add('out', twoInputs.input('a', [1, 4]), twoInputs.input('b', [1, 4]));
    const f2 = await writeModelAndRecord(twoInputs.graph, feedsOf(twoInputs.graph, 1), { tensors: true });
    const missing = await rejection(analyzeAccuracy(f2.model, ['out'], f2.record, [{ a: feedsOf(twoInputs.graph, 2)[0].a }], { backend: 'cpu' }), SessionError);
    expect(missing.code).toBe('FEED_MISSING');
    expect(missing.message).toMatch(/^batches\[0\]: .*\bb\b/);
  });

  test('a record lacking a layer the model needs it for (BatchMatMul with one of two scales)', async () => {
    const g = new GraphBuilder(4);
    g.unary('out', 'Identity', g.batchMatMul('bmm', g.input('a', [2, 3, 4]), g.unary('t', 'Tanh', g.input('c', [2, 4, 5]))));
    const f = await writeModelAndRecord(g.graph, feedsOf(g.graph, 1));
    const partial = f.records.filter((r) => r.key !== 'bmm:1');
    await writeRecord(f.record, partial);
    const e = await rejection(analyzeAccuracy(f.model, ['out'], f.record, feedsOf(g.graph, 2), { backend: 'cpu' }), RecordError);
    expect(e.code).toBe('RECORD_MISSING_LAYER');
    expect(e.layer).toBe('bmm:1');
    expect(e.file).toBe(path.resolve(f.record));
  });

  test('rankLayerSensitivity asked for a layer the record does not quantize, or the model lacks', async () => {
    const partial = path.join(files.dir, '..', `${path.basename(files.dir)}-partial-record.txt`);
    await writeRecord(partial, files.records.filter((r) => r.key !== 'conv4'));
    try {
      const e = await rejection(rankLayerSensitivity(files.model, partial, good(), { layers: ['conv1', 'conv4'] }), RecordError);
      expect(e.code).toBe('RECORD_MISSING_LAYER');
      expect(e.layer).toBe('conv4');
      const unknown = await rejection(rankLayerSensitivity(files.model, partial, good(), { layers: ['conv9'] }), AmctError);
      expect(unknown.code).toBe('LAYER_NOT_FOUND');
    } finally {
      fs.rmSync(partial, { force: true });
    }
  });

  test('a report file that is neither .json nor .html, or is an input', async () => {
    const e = await rejection(analyzeAccuracy(files.model, ['out'], files.record, good(), { reportFile: path.join(files.dir, 'report.txt') }), FileFormatError);
    expect(e.code).toBe('UNSUPPORTED_FORMAT');
    expect(e.file).toBe(path.join(files.dir, 'report.txt'));
    expect(e.hint).toMatch(/report\.json.*report\.html/);
    // A model.json given as the report: refused before any work, the model left as it was.
    const dir = tmpDir();
    const json = path.join(dir, 'model.json');
    await saveGraph(b.graph, json);
    const original = fs.readFileSync(json, 'utf8');
    const overwrite = await rejection(analyzeAccuracy(json, ['out'], files.record, good(), { reportFile: json }), FileFormatError);
    expect(overwrite.code).toBe('OUTPUT_WOULD_OVERWRITE_INPUT');
    expect(fs.readFileSync(json, 'utf8')).toBe(original);
  });

  test('an output that is not a node of the model', async () => {
    const e = await rejection(analyzeAccuracy(files.model, ['logits'], files.record, good()), AmctError);
    expect(e.code).toBe('NODE_NOT_FOUND');
    expect(e.node).toBe('logits');
  });
});
