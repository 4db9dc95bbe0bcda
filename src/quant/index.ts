/** INT8 arithmetic shared by the Ascend kernels and the saveModel emitter (pure: no tfjs, no graph). */
export {
  roundHalfAwayFromZero,
  clamp,
  processScale,
  intRange,
  float32Bits,
  float32FromBits,
  FLOAT32_EPSILON,
  INT32_MIN,
  INT32_MAX,
} from './round';
export { channelLayout, elementCount, expandDepthwiseScale } from './channels';
export type { ChannelLayout } from './channels';
export { quantizeWeights, quantizeBias, weightBitsProblem } from './weights';
export type { WeightValues } from './weights-simd';
export { packDeqScale, unpackDeqScale } from './deq-scale';
export type { DeqScaleFields } from './deq-scale';
export { ascendQuant, ascendDequant, ascendAntiQuant, ascendWeightQuant } from './ascend';
export type { DequantOptions } from './ascend';
