/** Calibration maths (SPEC §7): IFMR, streaming IFMR, HFMG, ARQ. Pure: typed arrays in, numbers out. */
export type { IfmrParams, ScaleOffset } from './common';
export { ifmr, exactLoss } from './ifmr';
export { percentileRank, candidateCount } from './ifmr-search';
export { IfmrAccumulator, searchResult } from './ifmr-stream';
export type { IfmrAccumulatorOptions, IfmrAccumulatorState, IfmrSearchInput } from './ifmr-stream';
export { HfmgAccumulator, HFMG_BIN_CHOICES } from './hfmg';
export type { HfmgAccumulatorState, HfmgParams } from './hfmg';
export { arq } from './arq';
export type { ArqResult } from './arq';
export { balanceFactors, inputChannelMax, scaleInputChannels, reciprocalFactors, BALANCE_FACTOR_MIN, BALANCE_FACTOR_MAX, MIGRATION_STRENGTH_RANGE } from './balance';
export { BalancedActivationAccumulator } from './balanced-activation';
export type { BalancedActivationOptions, BalancedAlgorithm } from './balanced-activation';
