/**
 * The in-memory form of a TensorFlow GraphDef. The io/ layer decodes protobuf straight
 * into these types: no Long, base64 or raw tensor bytes reach the passes.
 */
import { DataType } from './dtype';

/** int64 fields: a number while it is exact (|v| ≤ 2^53), a bigint beyond. */
export type Int64 = number | bigint;

export type TensorData =
  | Float32Array
  | Float64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * A constant tensor. `data` always holds every element (numElements of `shape`) in
 * row-major order, in the typed array that fits the dtype:
 * float32→Float32Array, double→Float64Array, int32/qint32→Int32Array, int16/qint16→Int16Array,
 * int8/qint8→Int8Array, uint8/quint8/bool→Uint8Array, uint16/quint16→Uint16Array,
 * half/bfloat16→Uint16Array of raw bits, uint32→Uint32Array, int64→BigInt64Array,
 * uint64→BigUint64Array, complex64→Float32Array (re, im pairs), complex128→Float64Array,
 * string→`strings` (and `data` is an empty Uint8Array).
 */
export interface TensorValue {
  dtype: DataType;
  shape: TensorShape;
  data: TensorData;
  /** DT_STRING elements, raw bytes each. */
  strings?: Uint8Array[];
  /**
   * How the proto stored the values, kept so that decode → encode is byte-identical:
   * 'content' = tensor_content bytes; 'values' = the typed repeated field, of which the
   * first `storedCount` values were written (TensorFlow elides a repeated tail).
   * New tensors made by passes leave this unset; the encoder then picks tensor_content.
   */
  encoding?: { kind: 'content' } | { kind: 'values'; storedCount: number };
  versionNumber?: number;
  /** Fields this SDK does not model (resource handles, variants), kept as raw bytes. */
  opaque?: Uint8Array;
}

/** A static or partly known shape; -1 marks an unknown dimension. */
export interface TensorShape {
  dims: number[];
  unknownRank?: boolean;
  /** Optional dimension names, index-aligned with dims (rarely used by TF). */
  dimNames?: (string | undefined)[];
}

export interface NameAttrList {
  name: string;
  attr: Record<string, AttrValue>;
}

export interface ListValue {
  s?: Uint8Array[];
  i?: Int64[];
  f?: number[];
  b?: boolean[];
  type?: DataType[];
  shape?: TensorShape[];
  tensor?: TensorValue[];
  func?: NameAttrList[];
}

/** AttrValue: exactly one member of the proto's oneof, or 'none' when unset. */
export type AttrValue =
  | { kind: 's'; value: Uint8Array }
  | { kind: 'i'; value: Int64 }
  | { kind: 'f'; value: number }
  | { kind: 'b'; value: boolean }
  | { kind: 'type'; value: DataType }
  | { kind: 'shape'; value: TensorShape }
  | { kind: 'tensor'; value: TensorValue }
  | { kind: 'list'; value: ListValue }
  | { kind: 'func'; value: NameAttrList }
  | { kind: 'placeholder'; value: string }
  | { kind: 'none' };

export interface NodeDef {
  name: string;
  op: string;
  /** Data inputs exactly as written in the proto ("x", "x:1"); see ir/tensor-name.ts. */
  readonly inputs: readonly string[];
  /** Control inputs: node names without the leading '^'. */
  readonly controlInputs: readonly string[];
  device: string;
  /** Attributes in the order they were read (kept for byte-identical re-encoding). */
  attr: Record<string, AttrValue>;
  /** NodeDef fields this SDK does not model (experimental_debug_info, ...), raw. */
  opaque?: Uint8Array;
}

export interface VersionDef {
  producer: number;
  minConsumer: number;
  badConsumers: number[];
}

/**
 * The GraphDef's function library (control flow in TF2-exported graphs). Passes do not
 * look inside; io/ keeps it so that it is written back unchanged. `raw` is the encoded
 * FunctionDefLibrary; `json` is its proto3-JSON form as tfjs model.json stores it.
 */
export interface FunctionLibrary {
  raw?: Uint8Array;
  json?: unknown;
}

/** Everything of a GraphDef besides its nodes. */
export interface GraphMeta {
  versions?: VersionDef;
  /** Deprecated GraphDef.version (field 3); kept when present. */
  version?: number;
  library?: FunctionLibrary;
  /** GraphDef fields this SDK does not model (debug_info), raw. */
  opaque?: Uint8Array;
  /**
   * Top-level fields of a TensorFlow.js model.json besides modelTopology and
   * weightsManifest (format, generatedBy, convertedBy, signature, userDefinedMetadata, ...),
   * kept by io/ so a graph model is written back with them.
   */
  tfjs?: Record<string, unknown>;
  /** Files the graph was read from (absolute paths); saving refuses to overwrite them. */
  sourceFiles?: string[];
}
