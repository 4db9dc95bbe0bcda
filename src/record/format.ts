/**
 * Writes the record text exactly as AMCT's record files look (SPEC §5): two-space
 * indentation, fields in field-number order, floats as protobuf's C++ printer writes
 * them. protobufjs's toText has the layout but prints floats with JS's String(), so
 * the text is produced here; protobufjs is used for parsing.
 */
import { assert } from '../errors';
import { formatFloat32 } from './float-format';
import { KeyedLayerRecord, LayerRecord } from './types';

/**
 * C-style string escaping as protobuf's CEscape does: the usual backslash escapes and
 * octal for control bytes and for non-ASCII UTF-8 bytes, so the file stays ASCII.
 */
export function escapeProtoString(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    switch (byte) {
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x22: out += '\\"'; break;
      case 0x27: out += "\\'"; break;
      case 0x5c: out += '\\\\'; break;
      default:
        out += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '\\' + byte.toString(8).padStart(3, '0');
    }
  }
  return `"${out}"`;
}

function valueLines(r: LayerRecord): string[] {
  const lines: string[] = [];
  const put = (name: string, text: string) => lines.push(`    ${name}: ${text}`);
  if (r.scaleD !== undefined) put('scale_d', formatFloat32(r.scaleD));
  if (r.offsetD !== undefined) put('offset_d', String(r.offsetD));
  for (const s of r.scaleW) put('scale_w', formatFloat32(s));
  for (const o of r.offsetW) put('offset_w', String(o));
  for (const b of r.shiftBit) put('shift_bit', String(b));
  for (const s of r.tensorBalanceFactor ?? []) put('tensor_balance_factor', formatFloat32(s));
  if (r.skipFusion !== undefined) put('skip_fusion', r.skipFusion ? 'true' : 'false');
  if (r.dstType !== undefined) put('dst_type', escapeProtoString(r.dstType));
  if (r.actType !== undefined) put('act_type', escapeProtoString(r.actType));
  if (r.wtsType !== undefined) put('wts_type', escapeProtoString(r.wtsType));
  return lines;
}

function entries(records: ReadonlyMap<string, LayerRecord> | readonly KeyedLayerRecord[]): [string, LayerRecord][] {
  if (records instanceof Map) return [...records.entries()];
  return (records as readonly KeyedLayerRecord[]).map((r) => [r.key, r]);
}

/** The record file's text, entries in the order given. */
export function formatRecord(records: ReadonlyMap<string, LayerRecord> | readonly KeyedLayerRecord[]): string {
  const lines: string[] = [];
  for (const [key, record] of entries(records)) {
    assert(typeof key === 'string' && key.length > 0, 'record key must be a non-empty string');
    lines.push('record {', `  key: ${escapeProtoString(key)}`, '  value {', ...valueLines(record), '  }', '}');
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}
