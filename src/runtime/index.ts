/** runtime/: the Session, its backends and the custom-kernel registry (SPEC §1, §6). */
export { Session } from './session';
export type { SessionOptions } from './session';
export type { FetchedTensor, RunOptions } from './fetches';
export type { Feeds, FeedValue, FeedData } from './feeds';
export type { BackendName } from './backend';
export { BACKEND_NAMES, BACKEND_ENV } from './backend';
export { registerKernel, registeredKernelOps } from './kernels';
export type { Kernel, KernelContext, KernelOptions, KernelResult } from './kernels';
export { translateConst, translateTensor, decodeDeqScale, chainConstMappers, DEQ_SCALE_FIELDS } from './const-translation';
export type { ConstMapper, DeqScale } from './const-translation';
export { findUnsupportedOps, tfjsConverterOps } from './op-support';
// Registers the Ascend op kernels (AscendQuant, ...) so every Session can run saveModel's graphs.
import './kernels/ascend';
import './kernels/ascend-chain';
// Registers the calibration kernels (QuantIfmr, QuantHfmg, QuantArq) so every Session can run quantizeModel's graphs.
import './kernels/calibration';
// Registers AmctErrorSums, the float-vs-INT8 comparison node of the accuracy tools (src/analysis/).
import './kernels/error-sums';
export { ERROR_SUMS_OP, ERROR_SUMS_STATE } from './kernels/error-sums';
