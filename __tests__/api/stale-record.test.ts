/**
 * No silent stale record: quantizeModel marks the calibration it starts beside the
 * record, the calibration kernels clear the mark when they write the record, saveModel
 * refuses a record while the mark is there (naming both times), Session.dispose() warns
 * when fewer than batch_num batches ran, and quantizeModel tells when the record is written.
 */
import * as fs from 'fs';
import * as path from 'path';
import { convertModel, createQuantConfig, quantizeModel, RecordError, saveGraph, saveModel, Session } from '../../src';
import { markerPath } from '../../src/record';
import { batch, snapshot, tempDir, tinyNet } from './calibration-fixtures';

let dir: string;
let model: string;
let config: string;
let record: string;
beforeEach(async () => {
  dir = await tempDir('amct-stale-');
  model = path.join(dir, 'model.pb');
  config = path.join(dir, 'config.json');
  record = path.join(dir, 'record.txt');
  await saveGraph(tinyNet(), model);
});
afterEach(() => fs.promises.rm(dir, { recursive: true, force: true }));

/** quantizeModel on a fresh copy of the model, calibrated for `runs` of `batchNum` batches. */
async function calibrate(batchNum: number, runs: number, options: Parameters<typeof quantizeModel>[3] = {}) {
  const graph = tinyNet();
  await createQuantConfig(config, graph, { batchNum });
  const q = await quantizeModel(graph, config, record, { calibOutputs: ['bn'], ...options });
  const session = await Session.create(graph, { backend: 'cpu' });
  for (let i = 0; i < runs; i++) await session.run(q.calibOutputs, { input: batch(i + 1) });
  return { q, session };
}

/** Lines written to stderr (the logger's warnings) while `fn` runs. */
function stderrOf(fn: () => void): string {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return lines.join('');
}

async function stderrOfAsync(fn: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return lines.join('');
}

async function rejection(p: Promise<unknown>): Promise<RecordError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RecordError);
    return e as RecordError;
  }
  throw new Error('expected a RecordError');
}

test('a complete calibration writes the record, removes the mark and resolves recordWritten', async () => {
  const events: unknown[] = [];
  const { q, session } = await calibrate(2, 1, { onRecordWritten: (e) => events.push(e) });
  expect(fs.existsSync(markerPath(record))).toBe(true);
  const marker = JSON.parse(fs.readFileSync(markerPath(record), 'utf8'));
  expect(marker).toEqual({ id: q.calibrationId, startedAt: q.startedAt.toISOString(), batchNum: 2, recordKeys: ['conv1', 'conv2'] });
  let written = false;
  void q.recordWritten.then(() => (written = true));
  await Promise.resolve();
  expect(written).toBe(false);
  await session.run(q.calibOutputs, { input: batch(2) });
  const event = await q.recordWritten;
  expect(event).toMatchObject({ recordFile: record, entries: 2, batches: 2, startedAt: q.startedAt });
  expect(event.writtenAt.getTime()).toBeGreaterThanOrEqual(q.startedAt.getTime());
  expect(events).toEqual([event]);
  expect(fs.existsSync(markerPath(record))).toBe(false);
  expect(stderrOf(() => session.dispose())).toBe(''); // complete: nothing to warn about
  const saved = await saveModel(model, ['bn'], record, path.join(dir, 'out'));
  expect(saved.layers).toEqual(['conv1', 'conv2']);
});

test('an old record with an unfinished calibration (1 of 4 batches): dispose warns, saveModel refuses naming both times', async () => {
  const first = await calibrate(1, 1);
  first.session.dispose();
  const old = snapshot(record);
  const { q, session } = await calibrate(4, 1);
  const warning = stderrOf(() => session.dispose());
  expect(warning).toContain('the session was disposed after 1 of batch_num = 4 batches');
  expect(warning).toContain(`the record ${record} was not written`);
  expect(snapshot(record)).toEqual(old); // the old record is still there, untouched

  const e = await rejection(saveModel(model, ['bn'], record, path.join(dir, 'out')));
  expect(e.code).toBe('RECORD_STALE');
  expect(e.file).toBe(record);
  // fs.Stats.mtime, as the message reads it (new Date(mtimeMs) can round the sub-millisecond part the other way)
  expect(e.message).toContain(`written at ${fs.statSync(record).mtime.toISOString()}, before the calibration quantizeModel started at ${q.startedAt.toISOString()}`);
  expect(e.hint).toContain(markerPath(record));
  expect(fs.existsSync(path.join(dir, 'out_quantized.pb'))).toBe(false);
});

test('a record written by an older calibration after a newer one started is refused too', async () => {
  const older = await calibrate(2, 1);
  const newer = await calibrate(2, 0);
  // The older one completes and writes its record, but must not clear the newer one's mark.
  const warning = await stderrOfAsync(() => older.session.run(older.q.calibOutputs, { input: batch(9) }));
  expect(warning).toContain(`wrote ${record}, but quantizeModel has started another calibration on this record since`);
  expect(JSON.parse(fs.readFileSync(markerPath(record), 'utf8')).id).toBe(newer.q.calibrationId);
  expect(fs.existsSync(record)).toBe(true);
  const e = await rejection(saveModel(model, ['bn'], record, path.join(dir, 'out')));
  expect(e.code).toBe('RECORD_STALE');
  expect(e.message).toContain(`after the calibration quantizeModel started at ${newer.q.startedAt.toISOString()}, but not by that calibration`);
  older.session.dispose();
  newer.session.dispose();
});

test('records without a mark (AMCT, or written by hand) are accepted; convertModel ignores the mark', async () => {
  const { session } = await calibrate(1, 1);
  session.dispose();
  const text = fs.readFileSync(record, 'utf8');
  const byHand = path.join(dir, 'hand.txt');
  fs.writeFileSync(byHand, text);
  expect((await saveModel(model, ['bn'], byHand, path.join(dir, 'a'))).layers).toEqual(['conv1', 'conv2']);
  fs.writeFileSync(markerPath(byHand), '{"id":"x","startedAt":"2026-01-01T00:00:00.000Z","batchNum":3}');
  expect((await rejection(saveModel(model, ['bn'], byHand, path.join(dir, 'b')))).code).toBe('RECORD_STALE');
  expect((await convertModel(model, ['bn'], byHand, path.join(dir, 'c'))).layers).toEqual(['conv1', 'conv2']);
});

test('a calibration that finishes while saveModel loads the model: saveModel reads the record it wrote, not the one before', async () => {
  // The record is read early only when no calibration is in flight on it; else after the freshness check.
  const first = await calibrate(1, 1);
  first.session.dispose();
  const before = await saveModel(model, ['bn'], record, path.join(dir, 'before'));
  const pending = await calibrate(1, 0); // marked, not run yet: the record on disk is still the first one's
  const files = require('../../src/io/files') as typeof import('../../src/io/files');
  const load = files.loadGraph;
  let loads = 0;
  const spy = jest.spyOn(files, 'loadGraph').mockImplementation(async (file, options) => {
    loads++;
    const graph = await load(file, options);
    await pending.session.run(pending.q.calibOutputs, { input: batch(7) }); // writes the new record, clears the mark
    return graph;
  });
  let raced: Awaited<ReturnType<typeof saveModel>>;
  try {
    raced = await saveModel(model, ['bn'], record, path.join(dir, 'raced'));
  } finally {
    spy.mockRestore();
  }
  expect(loads).toBe(1);
  await pending.q.recordWritten;
  pending.session.dispose();
  const after = await saveModel(model, ['bn'], record, path.join(dir, 'after'));
  const pb = (r: { quantizedPb: string }) => fs.readFileSync(r.quantizedPb);
  expect(pb(after).equals(pb(before))).toBe(false); // the two records differ, so the test can tell them apart
  expect(pb(raced).equals(pb(after))).toBe(true);
});
