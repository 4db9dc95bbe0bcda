/**
 * Our proto schema of AMCT's ScaleOffsetRecord (SPEC §5), as a protobufjs JSON
 * descriptor in a TS module so it ships inside dist/ with no .proto file to locate.
 * Field numbers follow AMCT-TF; act_type/wts_type are strings ("INT8"), as in AMCT's
 * published record protos. The record is a repeated entry message rather than a proto
 * map so duplicate keys survive parsing and can be reported.
 */
import * as protobuf from 'protobufjs/light';

const descriptor = {
  nested: {
    SingleLayerRecord: {
      fields: {
        scale_d: { type: 'float', id: 1 },
        offset_d: { type: 'int32', id: 2 },
        scale_w: { rule: 'repeated', type: 'float', id: 3 },
        offset_w: { rule: 'repeated', type: 'int32', id: 4 },
        shift_bit: { rule: 'repeated', type: 'uint32', id: 5 },
        tensor_balance_factor: { rule: 'repeated', type: 'float', id: 6 },
        skip_fusion: { type: 'bool', id: 9 },
        dst_type: { type: 'string', id: 10 },
        act_type: { type: 'string', id: 14 },
        wts_type: { type: 'string', id: 15 },
      },
    },
    MapFieldEntry: {
      fields: {
        key: { type: 'string', id: 1 },
        value: { type: 'SingleLayerRecord', id: 2 },
      },
    },
    ScaleOffsetRecord: {
      fields: {
        record: { rule: 'repeated', type: 'MapFieldEntry', id: 1 },
      },
    },
  },
};

let cached: protobuf.Type | undefined;

export function scaleOffsetRecordType(): protobuf.Type {
  cached ??= protobuf.Root.fromJSON(descriptor).lookupType('ScaleOffsetRecord');
  return cached;
}

/** The parsed shape, with proto field names. */
export interface RawLayerRecord {
  scale_d?: number;
  offset_d?: number;
  scale_w?: number[];
  offset_w?: number[];
  shift_bit?: number[];
  tensor_balance_factor?: number[];
  skip_fusion?: boolean;
  dst_type?: string;
  act_type?: string;
  wts_type?: string;
}

export interface RawRecordEntry {
  key?: string;
  value?: RawLayerRecord;
}
