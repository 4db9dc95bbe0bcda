/**
 * Reading the record: protobuf text format against our schema (text-proto.ts: a fast
 * path over the bytes, protobufjs's parser for the rest), then the SPEC §5 checks.
 * Parsed floats are rounded to float32, since the fields are float and a value read back
 * must equal the one written.
 */
import { RecordError } from '../errors';
import { RawLayerRecord, RawRecordEntry, scaleOffsetRecordType } from './schema';
import { decodeText, fieldLines, parseTextProto } from './text-proto';
import { LayerRecord, ReadRecordOptions, RecordMap } from './types';
import { checkLayerRecord } from './validate';

const EMPTY_MESSAGE = 'record_file is empty, no layers to be quantized';

/**
 * A float field's list, its values rounded to float32 in place. A loop, not
 * map(Math.fround), whose callback would box every value on the heap.
 */
function roundToFloat32(values: number[] = []): number[] {
  for (let i = 0; i < values.length; i++) values[i] = Math.fround(values[i]);
  return values;
}

/**
 * Converts a parsed value, keeping which optional fields were present. The record takes
 * the value's lists rather than copies (a parsed message is fresh and used once; copying
 * 48,000 values of a large record is a megabyte more to allocate).
 */
function toLayerRecord(raw: RawLayerRecord = {}): LayerRecord {
  const r: LayerRecord = {
    scaleW: roundToFloat32(raw.scale_w),
    offsetW: raw.offset_w ?? [],
    shiftBit: raw.shift_bit ?? [],
  };
  const has = (k: keyof RawLayerRecord) => Object.prototype.hasOwnProperty.call(raw, k) && raw[k] !== undefined;
  if (has('scale_d')) r.scaleD = Math.fround(raw.scale_d!);
  if (has('offset_d')) r.offsetD = raw.offset_d;
  if (has('skip_fusion')) r.skipFusion = raw.skip_fusion;
  if (has('dst_type')) r.dstType = raw.dst_type;
  if (has('act_type')) r.actType = raw.act_type;
  if (has('wts_type')) r.wtsType = raw.wts_type;
  if (raw.tensor_balance_factor && raw.tensor_balance_factor.length > 0) r.tensorBalanceFactor = roundToFloat32(raw.tensor_balance_factor);
  return r;
}

/** The key of the record entry around a line, read from the text, to name the layer in a parse error. */
function keyAround(text: string, line: number | undefined): string | undefined {
  if (line === undefined) return undefined;
  // Only the text up to the error line matters: the rest may be huge (or nested without end).
  let end = 0;
  for (let l = 0; l < line && end >= 0; l++) end = text.indexOf('\n', end + (l > 0 ? 1 : 0));
  const lines = fieldLines(end < 0 ? text : text.slice(0, end));
  let keyLine: number | undefined;
  for (let i = 0; lines.has(`record[${i}]`) && lines.get(`record[${i}]`)! <= line; i++) keyLine = lines.get(`record[${i}].key[0]`);
  if (keyLine === undefined) return undefined;
  const m = /\bkey\s*:?\s*"((?:[^"\\]|\\.)*)"/.exec(text.split('\n')[keyLine - 1]);
  if (!m) return undefined;
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return m[1]; // octal escapes: close enough to name the layer
  }
}

/** The record's entries, and its text when the parse decoded it (protobufjs parsed the file). */
function parseEntries(source: string | Uint8Array, file?: string): { entries: RawRecordEntry[]; text?: string } {
  const parsed = parseTextProto(scaleOffsetRecordType(), source);
  if (!parsed.ok) {
    throw new RecordError('RECORD_PARSE_FAILED', `cannot parse record_file: ${parsed.error.message}`, {
      file,
      line: parsed.error.line,
      layer: keyAround(parsed.text, parsed.error.line),
      hint: 'the record must be a protobuf text ScaleOffsetRecord as written by the calibration; regenerate it',
    });
  }
  const entries = (parsed.message as { record?: RawRecordEntry[] }).record ?? [];
  if (entries.length === 0) {
    throw new RecordError('RECORD_EMPTY', EMPTY_MESSAGE, {
      file,
      hint: 'run the calibration batches (session.run batch_num times) after quantizeModel before saving',
    });
  }
  return { entries, text: parsed.text };
}

/** Parses a record file's bytes (UTF-8) or its text; `file` only labels errors. */
export function parseRecord(source: string | Uint8Array, file?: string, options: ReadRecordOptions = {}): RecordMap {
  const { entries, text } = parseEntries(source, file);
  let lines: Map<string, number> | undefined; // computed only when an error needs a line
  // The text the parse decoded, if it did: the bytes are decoded once.
  const lineOf = (path: string) => (lines ??= fieldLines(text ?? decodeText(source))).get(path);
  const layers = new Map(Array.from(options.layers ?? [], (l) => [l.name, l]));
  const records = new RecordMap();
  records.file = file;
  const firstIndex = new Map<string, number>();
  entries.forEach((entry, i) => {
    const key = entry.key ?? '';
    const hint = 'each record entry needs a unique key: the layer name, or name:input_index';
    if (key === '') {
      throw new RecordError('RECORD_INVALID', `record entry #${i + 1} has no key`, { file, line: lineOf(`record[${i}]`), hint });
    }
    if (firstIndex.has(key)) {
      const first = lineOf(`record[${firstIndex.get(key)}].key[0]`);
      throw new RecordError('RECORD_INVALID', `layer ${key} appears twice in record_file${first ? ` (first at line ${first})` : ''}`, {
        file, line: lineOf(`record[${i}].key[0]`), layer: key, hint,
      });
    }
    firstIndex.set(key, i);
    const record = toLayerRecord(entry.value);
    checkLayerRecord(key, record, {
      file,
      outputChannels: layers.get(key)?.outputChannels,
      inputChannels: layers.get(key)?.inputChannels,
      line: (field, j) => lineOf(`record[${i}].value[0].${field}[${j}]`) ?? lineOf(`record[${i}].key[0]`),
    });
    records.set(key, record);
  });
  return records;
}
