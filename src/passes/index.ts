/** Graph passes: op table, layer discovery, and the rewrites that prepare a graph for quantization. */
export * from './layer-types';
export { OP_TABLE, opRow, outputChannelAxis, isChannelsFirst, LAYOUTS } from './op-table';
export type { OpRow, WeightSpec, WeightLayout, LayoutInfo, FusibleOp, DiscoveryHandler } from './op-table';
export { planUnfuse, describeFusedOps } from './fused-ops';
export type { UnfusePlan } from './fused-ops';
export { findLayers } from './discover';
export { resolveConst, constValue } from './graph-utils';
export type { ConstSource } from './graph-utils';
export { OriginMap, newContext } from './pass';
export type { GraphPass, PassContext, PassReport, PassAction, PassSkip } from './pass';
export { unfuseTfjsOps } from './unfuse-tfjs';
export { foldBatchNorm } from './fold-batchnorm';
export { foldMul } from './fold-mul';
export { foldWeightMul } from './fold-weight-mul';
export { addToBias } from './add-to-bias';
export { prepareGraph, FUSION_PASSES, UNFUSE_PASSES } from './pipeline';
export type { PrepareOptions, PrepareReport } from './pipeline';
