/**
 * Our protobuf schema of TensorFlow's GraphDef family (field numbers checked against
 * tensorflow/core/framework/*.proto), loaded with protobufjs. It is a TS module rather
 * than a .proto file so it ships inside dist/. protobufjs decodes and encodes the binary
 * .pb with it (graphdef.ts) and converts the proto3-JSON forms of model.json.
 *
 * Fields are declared in field-number order (protobufjs also sorts them when encoding).
 * Messages the SDK keeps but never reads (function library, debug info, full types,
 * resource and variant values) are declared `bytes` where TensorFlow has a message: the
 * wire form is the same (length-delimited), so they are read and written back as their
 * exact bytes without being decoded. `optional` keeps the presence of an empty one.
 */
import * as protobuf from 'protobufjs';
import { DataType } from '../ir';

const dataTypeEnum = Object.entries(DataType)
  .filter(([, v]) => typeof v === 'number')
  .map(([k, v]) => `  ${k} = ${v};`)
  .join('\n');

export const GRAPH_PROTO = `
syntax = "proto3";
package tensorflow;

enum DataType {
${dataTypeEnum}
}

message TensorShapeProto {
  message Dim { int64 size = 1; string name = 2; }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}

message ResourceHandleProto {
  message DtypeAndShape { DataType dtype = 1; TensorShapeProto shape = 2; }
  string device = 1;
  string container = 2;
  string name = 3;
  uint64 hash_code = 4;
  string maybe_type_name = 5;
  repeated DtypeAndShape dtypes_and_shapes = 6;
}

// What TensorProto.variant_val holds (kept encoded there).
message VariantTensorDataProto {
  string type_name = 1;
  bytes metadata = 2;
  repeated TensorProto tensors = 3;
}

message TensorProto {
  DataType dtype = 1;
  TensorShapeProto tensor_shape = 2;
  int32 version_number = 3;
  bytes tensor_content = 4;
  repeated float float_val = 5 [packed = true];
  repeated double double_val = 6 [packed = true];
  repeated int32 int_val = 7 [packed = true];
  repeated bytes string_val = 8;
  repeated float scomplex_val = 9 [packed = true];
  repeated int64 int64_val = 10 [packed = true];
  repeated bool bool_val = 11 [packed = true];
  repeated double dcomplex_val = 12 [packed = true];
  repeated int32 half_val = 13 [packed = true];
  repeated bytes resource_handle_val = 14; // ResourceHandleProto, kept encoded
  repeated bytes variant_val = 15; // VariantTensorDataProto, kept encoded
  repeated uint32 uint32_val = 16 [packed = true];
  repeated uint64 uint64_val = 17 [packed = true];
}

message AttrValue {
  message ListValue {
    repeated bytes s = 2;
    repeated int64 i = 3 [packed = true];
    repeated float f = 4 [packed = true];
    repeated bool b = 5 [packed = true];
    repeated DataType type = 6 [packed = true];
    repeated TensorShapeProto shape = 7;
    repeated TensorProto tensor = 8;
    repeated NameAttrList func = 9;
  }
  oneof value {
    ListValue list = 1;
    bytes s = 2;
    int64 i = 3;
    float f = 4;
    bool b = 5;
    DataType type = 6;
    TensorShapeProto shape = 7;
    TensorProto tensor = 8;
    string placeholder = 9;
    NameAttrList func = 10;
  }
}

message NameAttrList {
  string name = 1;
  map<string, AttrValue> attr = 2;
}

// type_id is TensorFlow's FullTypeId enum, kept as its number here.
message FullTypeDef {
  int32 type_id = 1;
  repeated FullTypeDef args = 2;
  oneof attr { string s = 3; int64 i = 4; }
}

message NodeDef {
  // What experimental_debug_info holds (kept encoded).
  message ExperimentalDebugInfo {
    repeated string original_node_names = 1;
    repeated string original_func_names = 2;
  }
  string name = 1;
  string op = 2;
  repeated string input = 3;
  string device = 4;
  map<string, AttrValue> attr = 5;
  optional bytes experimental_debug_info = 6; // ExperimentalDebugInfo, kept encoded
  optional bytes experimental_type = 7; // FullTypeDef, kept encoded
}

message VersionDef {
  int32 producer = 1;
  int32 min_consumer = 2;
  repeated int32 bad_consumers = 3 [packed = true];
}

message OpDeprecation { int32 version = 1; string explanation = 2; }

message OpDef {
  message ArgDef {
    string name = 1;
    string description = 2;
    DataType type = 3;
    string type_attr = 4;
    string number_attr = 5;
    string type_list_attr = 6;
    repeated ResourceHandleProto.DtypeAndShape handle_data = 7;
    bool is_ref = 16;
    FullTypeDef experimental_full_type = 17;
  }
  message AttrDef {
    string name = 1;
    string type = 2;
    AttrValue default_value = 3;
    string description = 4;
    bool has_minimum = 5;
    int64 minimum = 6;
    AttrValue allowed_values = 7;
  }
  string name = 1;
  repeated ArgDef input_arg = 2;
  repeated ArgDef output_arg = 3;
  repeated AttrDef attr = 4;
  string summary = 5;
  string description = 6;
  OpDeprecation deprecation = 8;
  bool is_aggregate = 16;
  bool is_stateful = 17;
  bool is_commutative = 18;
  bool allows_uninitialized_input = 19;
  repeated string control_output = 20;
  bool is_distributed_communication = 21;
}

message FunctionDef {
  message ArgAttrs { map<string, AttrValue> attr = 1; }
  OpDef signature = 1;
  repeated NodeDef node_def = 3;
  map<string, string> ret = 4;
  map<string, AttrValue> attr = 5;
  map<string, string> control_ret = 6;
  map<uint32, ArgAttrs> arg_attr = 7;
  map<uint32, uint32> resource_arg_unique_id = 8;
}

message GradientDef { string function_name = 1; string gradient_func = 2; }
message RegisteredGradient { string gradient_func = 1; string registered_op_type = 2; }

message FunctionDefLibrary {
  repeated FunctionDef function = 1;
  repeated GradientDef gradient = 2;
  repeated RegisteredGradient registered_gradients = 3;
}

message GraphDef {
  repeated NodeDef node = 1;
  optional bytes library = 2; // FunctionDefLibrary, kept encoded
  int32 version = 3; // deprecated by TensorFlow, kept when present
  VersionDef versions = 4;
  optional bytes debug_info = 5; // GraphDebugInfo, kept encoded (not written to model.json)
}
`;

let root: protobuf.Root | undefined;

/** The parsed schema (parsed once, on first use). */
export function schemaRoot(): protobuf.Root {
  root ??= protobuf.parse(GRAPH_PROTO, { keepCase: false }).root;
  return root;
}

const types = new Map<string, protobuf.Type>();

/** A message type by its name in package tensorflow ("GraphDef", "NodeDef.ExperimentalDebugInfo"). */
export function messageType(name: string): protobuf.Type {
  let type = types.get(name);
  if (!type) {
    type = schemaRoot().lookupType(`tensorflow.${name}`);
    types.set(name, type);
  }
  return type;
}

/** proto3-JSON conventions, as TensorFlow's MessageToJson and tfjs model.json use them. */
export const JSON_OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, json: true };

/** model.json `library` (proto3 JSON) → FunctionDefLibrary bytes. Throws TypeError on bad shapes. */
export function libraryJsonToBytes(json: unknown): Uint8Array {
  const type = messageType('FunctionDefLibrary');
  return plainBytes(type.encode(type.fromObject(json as Record<string, unknown>)).finish());
}

/**
 * protobufjs in Node reads and writes Buffers; the IR promises plain Uint8Arrays, so bytes
 * cross the boundary as plain views of the same memory (no copy).
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
}

/** FunctionDefLibrary bytes → proto3 JSON, as tfjs model.json stores it. */
export function libraryBytesToJson(raw: Uint8Array): Record<string, unknown> {
  const type = messageType('FunctionDefLibrary');
  return type.toObject(type.decode(raw), JSON_OPTIONS);
}
