/** Record files on disk: reading with checks, writing once and atomically. */
import { AmctError, RecordError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { formatRecord } from './format';
import { parseRecord } from './parse';
import { KeyedLayerRecord, LayerRecord, ReadRecordOptions, RecordMap } from './types';
import { checkLayerRecord } from './validate';
import { readBinaryInput } from '../io/read';

export async function readRecord(file: string, options: ReadRecordOptions = {}): Promise<RecordMap> {
  // The bytes, not the text: the fast path reads them directly, and a 1 MB string is a
  // large allocation of its own (decoded only when protobufjs has to parse the file, or an
  // error needs a line).
  const bytes = await readBinaryInput(file, {
    what: 'record_file',
    missingHint: 'run quantizeModel and the calibration batches first, or check the path',
    errorClass: RecordError,
  });
  return parseRecord(bytes, file, options);
}

/** Writes the records atomically; a record the reader would reject is refused first. */
export async function writeRecord(
  file: string,
  records: ReadonlyMap<string, LayerRecord> | readonly KeyedLayerRecord[],
): Promise<void> {
  const list = records instanceof Map ? [...records.entries()] : (records as readonly KeyedLayerRecord[]).map((r) => [r.key, r] as const);
  if (list.length === 0) {
    throw new RecordError('RECORD_EMPTY', 'record_file is empty, no layers to be quantized', {
      file,
      hint: 'no layer was calibrated; check that quantizeModel enabled at least one layer',
    });
  }
  for (const [key, record] of list) checkLayerRecord(key, record, { file });
  try {
    await writeFileAtomic(file, formatRecord(records));
  } catch (e) {
    // Keep writeFileAtomic's code and its specific hint ("create the folder first", ...).
    if (!(e instanceof AmctError)) throw e;
    throw new RecordError(e.code, e.detail, { file, cause: e, hint: e.hint });
  }
}

/** The record of a layer that must have been calibrated. */
export function requireLayer(records: ReadonlyMap<string, LayerRecord>, layer: string, file?: string): LayerRecord & { scaleD: number } {
  const record = records.get(layer);
  if (record?.scaleD === undefined) {
    throw new RecordError('RECORD_MISSING_LAYER', `cannot find scale_d of layer ${layer} in record_file, please check the calibration`, {
      file: file ?? (records instanceof RecordMap ? records.file : undefined),
      layer,
      hint: 'run the calibration with the graph returned by quantizeModel for batch_num batches, then save again',
    });
  }
  return record as LayerRecord & { scaleD: number };
}
