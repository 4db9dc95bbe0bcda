/**
 * No silent stale record. The record path usually holds the record of an EARLIER
 * calibration (AMCT's flow reuses `./tmp/record.txt`), and the calibration kernels only
 * write a record after batch_num batches. So a calibration that stopped early would leave
 * the old record in place and saveModel would quantize with it, silently.
 *
 * The mechanism (docs/calibration-flow.md, "Stale records"):
 * - quantizeModel writes a marker `<record_file>.calibrating` (JSON: an id and the start
 *   time) and stamps the id on the calibration nodes (attr `calibration_id`);
 * - the calibration kernels write the record, then remove the marker if it carries their id;
 * - saveModel refuses a record while the marker is there (RECORD_STALE), naming the time
 *   the record was written and the time the unfinished calibration started.
 * The record file itself is unchanged (AMCT's format); a record without a marker beside it
 * (from AMCT, or written by hand) is accepted as always.
 *
 * In-process listeners let quantizeModel's caller know when its record was written.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import { describe, RecordError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { log } from '../log';

export const MARKER_SUFFIX = '.calibrating';
/** Attribute quantizeModel puts on each calibration node: the id in the marker. */
export const CALIBRATION_ID_ATTR = 'calibration_id';

export interface CalibrationMarker {
  id: string;
  /** ISO time quantizeModel started the calibration. */
  startedAt: string;
  batchNum: number;
  /** Record keys the calibration will write. */
  recordKeys: string[];
}

/** What a record-written notification carries. */
export interface RecordWrittenEvent {
  recordFile: string;
  /** Record entries written (one per record key). */
  entries: number;
  batches: number;
  /** When the calibration started (quantizeModel) and when its record was written. */
  startedAt: Date;
  writtenAt: Date;
}

export function markerPath(recordFile: string): string {
  return recordFile + MARKER_SUFFIX;
}

export function newCalibrationId(): string {
  return randomUUID();
}

export async function writeMarker(recordFile: string, marker: CalibrationMarker): Promise<void> {
  await writeFileAtomic(markerPath(recordFile), JSON.stringify(marker, null, 2) + '\n');
}

/** The marker beside `recordFile`; `null` when there is none; `undefined` fields when unreadable. */
export function readMarker(recordFile: string): Partial<CalibrationMarker> | null {
  let text: string;
  try {
    text = fs.readFileSync(markerPath(recordFile), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return {}; // present but unreadable: still a calibration that did not finish
  }
  try {
    const parsed = JSON.parse(text) as Partial<CalibrationMarker>;
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}

/** After the record is written: removes the marker if it is this calibration's. */
export function clearMarker(recordFile: string, id: string): void {
  const marker = readMarker(recordFile);
  if (marker === null) return;
  if (marker.id !== id) {
    log.warn(`calibration: wrote ${recordFile}, but quantizeModel has started another calibration on this record since (marker ${markerPath(recordFile)}); saveModel will refuse the record until that calibration finishes`);
    return;
  }
  try {
    fs.unlinkSync(markerPath(recordFile));
  } catch (e) {
    log.warn(`calibration: could not remove ${markerPath(recordFile)} (${describe(e)}); saveModel will refuse ${recordFile} until it is deleted`);
  }
}

function mtimeOf(file: string): Date | undefined {
  try {
    return fs.statSync(file).mtime;
  } catch {
    return undefined;
  }
}

/** saveModel's check: throws RECORD_STALE while a calibration on this record has not finished. */
export function assertRecordFresh(recordFile: string): void {
  const marker = readMarker(recordFile);
  if (marker === null) return;
  const written = mtimeOf(recordFile);
  if (written === undefined) return; // no record at all: reading it reports FILE_NOT_FOUND
  const started = typeof marker.startedAt === 'string' ? marker.startedAt : 'an unknown time';
  const when = written.toISOString();
  const relation = typeof marker.startedAt === 'string' && written.getTime() > Date.parse(marker.startedAt) ? 'after' : 'before';
  const what =
    relation === 'before'
      ? `record_file was written at ${when}, before the calibration quantizeModel started at ${started}, which has not written its record yet`
      : `record_file was written at ${when}, after the calibration quantizeModel started at ${started}, but not by that calibration, which has not finished`;
  throw new RecordError('RECORD_STALE', what, {
    file: recordFile,
    hint: `run all ${marker.batchNum ?? 'batch_num'} calibration batches with the graph quantizeModel returned (the record is written after the last one); to use this record anyway, delete ${markerPath(recordFile)}`,
  });
}

type Listener = (event: RecordWrittenEvent) => void;
const listeners = new Map<string, Listener[]>();

/** Calls `listener` once, when the calibration with this id has written its record (in this process). */
export function onRecordWritten(id: string, listener: Listener): void {
  listeners.set(id, [...(listeners.get(id) ?? []), listener]);
}

export function notifyRecordWritten(id: string, event: RecordWrittenEvent): void {
  const waiting = listeners.get(id) ?? [];
  listeners.delete(id);
  for (const listener of waiting) {
    try {
      listener(event);
    } catch (e) {
      log.warn(`calibration: an onRecordWritten callback threw: ${describe(e)}`); // the record is written; do not fail the run
    }
  }
}
