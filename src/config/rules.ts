/**
 * Value rules shared by the JSON config and the .cfg (SPEC §3): one place decides what
 * a valid IFMR/HFMG setting is, so both files accept exactly the same values.
 */
import { candidateCount, MAX_IFMR_CANDIDATES } from '../calib/common'; // not '../calib': its index loads all of the calibration
import { HFMG_BINS } from './defaults';
import { IfmrSettings } from './types';

export interface Violation {
  /** The .cfg spelling of the field (the JSON calls both ends `search_range`). */
  field: 'max_percentile' | 'min_percentile' | 'search_range_start' | 'search_range_end' | 'search_step' | 'num_of_bins';
  message: string;
}

const isPercentile = (v: number) => Number.isFinite(v) && v > 0.5 && v <= 1;

/** Largest batch_num accepted: calibration runs one batch per step, and a million is already days of work. */
export const MAX_BATCH_NUM = 1_000_000;

// float32 and decimal spellings of end − start differ in the last bits (1.3 − 0.7 ≠ 0.6)
const SLACK = 1e-6;

export function ifmrViolation(s: IfmrSettings): Violation | undefined {
  const [start, end] = s.searchRange;
  if (!isPercentile(s.maxPercentile)) {
    return { field: 'max_percentile', message: `must be a number in (0.5, 1.0], got ${s.maxPercentile}` };
  }
  if (!isPercentile(s.minPercentile)) {
    return { field: 'min_percentile', message: `must be a number in (0.5, 1.0], got ${s.minPercentile}` };
  }
  if (!(Number.isFinite(start) && start > 0)) {
    return { field: 'search_range_start', message: `must be a number > 0, got ${start}` };
  }
  if (!(Number.isFinite(end) && end > start)) {
    return { field: 'search_range_end', message: `must be greater than the search range start ${start}, got ${end}` };
  }
  if (!(Number.isFinite(s.searchStep) && s.searchStep > 0)) {
    return { field: 'search_step', message: `must be a number > 0, got ${s.searchStep}` };
  }
  if (s.searchStep > (end - start) * (1 + SLACK)) {
    return { field: 'search_step', message: `must be at most search range end - start = ${+(end - start).toPrecision(12)}, got ${s.searchStep}` };
  }
  const count = candidateCount(s); // the count the calibration will use
  if (!(count <= MAX_IFMR_CANDIDATES)) {
    const what = Number.isFinite(count) ? `${count}` : 'infinitely many';
    return {
      field: Math.fround(s.searchStep) > 0 && end > 1e4 ? 'search_range_end' : 'search_step',
      message: `gives ${what} IFMR candidates ((end - start) / step + 1 in float32, with search_range [${start}, ${end}] and search_step ${s.searchStep}); the limit is ${MAX_IFMR_CANDIDATES}: use a larger search_step or a narrower search_range`,
    };
  }
  return undefined;
}

export function batchNumViolation(batchNum: number): string | undefined {
  if (Number.isSafeInteger(batchNum) && batchNum >= 1 && batchNum <= MAX_BATCH_NUM) return undefined;
  return `batch_num must be an integer from 1 to ${MAX_BATCH_NUM}, got ${batchNum}`;
}

export function binsViolation(bins: number): Violation | undefined {
  if (HFMG_BINS.includes(bins)) return undefined;
  return { field: 'num_of_bins', message: `must be one of ${HFMG_BINS.join(', ')}, got ${bins}` };
}
