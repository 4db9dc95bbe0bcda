/** amct-ts public API (SPEC §1): `import * as amct from 'amct-ts'`. */
export * from './errors';
export * from './ir';
export { setLoggingLevel } from './log';
export type { LogLevel } from './log';
export { loadGraph, saveGraph, decodeGraphDef, encodeGraphDef, graphFromArtifacts, graphToArtifacts } from './io';
export type { LoadOptions, SaveOptions } from './io';
export { Session, registerKernel, registeredKernelOps, BACKEND_NAMES, BACKEND_ENV } from './runtime';
export type { SessionOptions, FetchedTensor, RunOptions, Feeds, FeedValue, BackendName, Kernel, KernelContext } from './runtime';
export { findLayers, prepareGraph } from './passes';
export type { LayerCandidate, LayerKind } from './passes/layer-types';
export * from './api';
export * from './analysis';
