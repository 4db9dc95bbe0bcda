/**
 * Model I/O: frozen GraphDef (.pb) and TensorFlow.js graph models (model.json + shards)
 * to and from the IR Graph, and atomic file writes.
 */
export { loadGraph, saveGraph, shardNameFor } from './files';
export type { LoadOptions } from './files';
export type { SaveOptions } from './files';
export { decodeGraphDef, encodeGraphDef } from './graphdef';
export type { DecodeOptions } from './graphdef';
export { graphFromArtifacts, graphToArtifacts } from './artifacts';
export type { ArtifactsContext, GraphArtifacts, ToArtifactsOptions } from './artifacts';
export { writeFileAtomic, writeFilesAtomic, assertNotInput, assertWritableTarget, removeStaleTemps } from './atomic';
export type { AtomicFile, AtomicWriteOptions } from './atomic';
export { GRAPH_PROTO, schemaRoot, messageType } from './schema';
export type { WeightSpec } from './weights';
