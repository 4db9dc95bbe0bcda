/** AMCT's default calibration settings, and the JSON objects a resolved setting writes. */
import { ActivationQuantParams, IfmrSettings, ResolvedActivation, ResolvedWeight, WeightQuantParams } from './types';

export const NUM_BITS = 8;

export const IFMR_DEFAULTS: Readonly<IfmrSettings> = Object.freeze({
  maxPercentile: 0.999999,
  minPercentile: 0.999999,
  searchRange: [0.7, 1.3] as [number, number],
  searchStep: 0.01,
});

export const HFMG_BINS: readonly number[] = [1024, 2048, 4096, 8192];
export const HFMG_DEFAULT_BINS = 4096;

/** Key order as SPEC §3 shows it. */
export function activationJson(a: ResolvedActivation): ActivationQuantParams {
  if (a.actAlgo === 'hfmg') {
    return { num_bits: a.numBits, act_algo: 'hfmg', num_of_bins: a.numOfBins ?? HFMG_DEFAULT_BINS, asymmetric: a.asymmetric };
  }
  const s = a.ifmr ?? IFMR_DEFAULTS;
  return {
    num_bits: a.numBits,
    act_algo: 'ifmr',
    max_percentile: s.maxPercentile,
    min_percentile: s.minPercentile,
    search_range: [s.searchRange[0], s.searchRange[1]],
    search_step: s.searchStep,
    asymmetric: a.asymmetric,
  };
}

export function weightJson(w: ResolvedWeight): WeightQuantParams {
  return { num_bits: w.numBits, wts_algo: w.wtsAlgo, channel_wise: w.channelWise };
}

export function defaultIfmr(asymmetric: boolean): ResolvedActivation {
  return { numBits: NUM_BITS, actAlgo: 'ifmr', asymmetric, ifmr: { ...IFMR_DEFAULTS, searchRange: [...IFMR_DEFAULTS.searchRange] } };
}
