/**
 * saveModel writes `_quant.json` and `_quantized.pb` as a checkable pair: both outputs are
 * checked before either is written, and the json names the digest of the .pb it belongs to.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { saveModel } from '../../src/api/save-model';
import { GraphBuilder } from '../helpers/graph-builders';
import { tmpDir, writeModel, writeRecordFile } from './save-fixtures';
import { SCENARIOS } from './save-scenarios';

async function setup(): Promise<{ dir: string; modelPath: string; recordPath: string; out: string }> {
  const dir = tmpDir();
  const b = new GraphBuilder(7);
  SCENARIOS[0].build(b); // input → conv → ba → out
  const modelPath = await writeModel(b.graph, dir);
  const recordPath = await writeRecordFile(dir, [{ key: 'conv', scaleD: 0.02, offsetD: -128, scaleW: [0.01, 0.02, 0.03, 0.04], offsetW: [0, 0, 0, 0], shiftBit: [] }]);
  return { dir, modelPath, recordPath, out: path.join(dir, 'out') };
}

test('the _quant.json holds the sha256 of the _quantized.pb written with it', async () => {
  const s = await setup();
  const result = await saveModel(s.modelPath, ['out'], s.recordPath, s.out);
  const json = JSON.parse(fs.readFileSync(result.quantJson, 'utf8'));
  expect(json.quantized_model_sha256).toBe(createHash('sha256').update(fs.readFileSync(result.quantizedPb)).digest('hex'));
  expect(fs.readdirSync(s.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});

test('when the _quant.json path is a folder, nothing is written (not even the .pb)', async () => {
  const s = await setup();
  fs.mkdirSync(`${s.out}_quant.json`);
  await expect(saveModel(s.modelPath, ['out'], s.recordPath, s.out)).rejects.toMatchObject({ code: 'FILE_WRITE_FAILED', file: path.resolve(`${s.out}_quant.json`) });
  expect(fs.existsSync(`${s.out}_quantized.pb`)).toBe(false);
  expect(fs.readdirSync(s.dir).sort()).toEqual(['model.pb', 'out_quant.json', 'record.txt']);
});

test('when the _quantized.pb path is a FIFO, nothing is written and the FIFO stays', async () => {
  const s = await setup();
  require('child_process').execFileSync('mkfifo', [`${s.out}_quantized.pb`]);
  await expect(saveModel(s.modelPath, ['out'], s.recordPath, s.out)).rejects.toMatchObject({ code: 'OUTPUT_NOT_REGULAR_FILE' });
  expect(fs.existsSync(`${s.out}_quant.json`)).toBe(false);
  expect(fs.statSync(`${s.out}_quantized.pb`).isFIFO()).toBe(true);
});
