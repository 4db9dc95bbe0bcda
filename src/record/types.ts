/**
 * A layer's entry in the ScaleOffsetRecord file (SPEC §5), in camelCase. Optional
 * fields stay absent when the file did not have them, so a record read and written
 * back is byte-identical; empty arrays mean "not present" for repeated fields.
 */
export interface LayerRecord {
  scaleD?: number;
  offsetD?: number;
  scaleW: number[];
  offsetW: number[];
  shiftBit: number[];
  skipFusion?: boolean;
  dstType?: string;
  actType?: string;
  wtsType?: string;
  /** DMQ balancer factors s_c, one per input channel (SPEC §10, field 6); absent when the layer is not balanced. */
  tensorBalanceFactor?: number[];
}

/** A record with its key, for writing records given as a list. */
export interface KeyedLayerRecord extends LayerRecord {
  /** Layer name, or `name:input_index` for tensor quantization. */
  key: string;
}

/** What the caller knows about a layer, for checks against the model. */
export interface RecordLayerInfo {
  name: string;
  /** Number of output channels: scale_w must hold 1 or this many values. */
  outputChannels?: number;
  /** Number of input channels: tensor_balance_factor must hold this many values. */
  inputChannels?: number;
}

export interface ReadRecordOptions {
  /** Layers of the model (LayerCandidate[] fits); enables the scale_w count check. */
  layers?: Iterable<RecordLayerInfo>;
}

/** The records of one file, in file order, remembering the file for error messages. */
export class RecordMap extends Map<string, LayerRecord> {
  file?: string;
}

/** The key under which tensor quantization of a layer's input is recorded. */
export function tensorRecordKey(layer: string, inputIndex: number): string {
  return `${layer}:${inputIndex}`;
}
