/**
 * The sensitivity ranking of auto calibration (SPEC §9): which candidate layers to leave
 * in float first. 'CosineSimilarity' (AMCT's default) is analysis/sensitivity.ts: each
 * layer quantized alone with the all-INT8 record, fed the float model's activations on
 * the captured calibration batches. As in AMCT, where `sensitivity` may also be an
 * instance, a caller may pass its own ranker.
 *
 * The ranking is written (atomically) before the search starts, so an interrupted or
 * failed search still leaves it.
 */
import { AutoCalibrationError } from '../errors';
import { writeFileAtomic } from '../io';
import { log } from '../log';
import type { BackendName, Feeds } from '../runtime';
import { rankLayerSensitivity } from './sensitivity';
import type { LayerSensitivity } from './sensitivity';

export const SENSITIVITIES = ['CosineSimilarity'] as const;

/** A custom ranking: candidate layers, most sensitive first, each with its isolated error. */
export interface SensitivityRanker {
  rank(modelFile: string, recordFile: string, batches: Feeds[], layers: string[]): LayerSensitivity[] | Promise<LayerSensitivity[]>;
}

export type SensitivityOption = (typeof SENSITIVITIES)[number] | SensitivityRanker;

export function checkSensitivity(sensitivity: unknown): SensitivityOption {
  if (sensitivity === undefined) return 'CosineSimilarity';
  if (sensitivity === 'CosineSimilarity') return sensitivity;
  if (sensitivity !== null && typeof sensitivity === 'object' && typeof (sensitivity as SensitivityRanker).rank === 'function') return sensitivity as SensitivityRanker;
  throw new AutoCalibrationError('INVALID_ARGUMENT', `unknown sensitivity ${typeof sensitivity === 'string' ? JSON.stringify(sensitivity) : `(a ${typeof sensitivity})`}`, {
    field: 'sensitivity',
    hint: "use 'CosineSimilarity' (the default, as in AMCT) or an object with rank(modelFile, recordFile, batches, layers)",
  });
}

export interface RankingInput {
  modelFile: string;
  recordFile: string;
  batches: Feeds[];
  candidates: string[];
  backend?: BackendName;
}

/**
 * Every candidate once, most sensitive first. A custom ranker may leave layers out
 * (they go last, in config order) but may not name layers that are not candidates.
 */
export async function rankCandidates(sensitivity: SensitivityOption, input: RankingInput): Promise<LayerSensitivity[]> {
  const { modelFile, recordFile, batches, candidates, backend } = input;
  const ranked = sensitivity === 'CosineSimilarity'
    ? await rankLayerSensitivity(modelFile, recordFile, batches, { layers: candidates, backend })
    : await sensitivity.rank(modelFile, recordFile, batches, [...candidates]);
  const known = new Set(candidates);
  const seen = new Set<string>();
  const out: LayerSensitivity[] = [];
  for (const entry of ranked) {
    if (!known.has(entry.layer)) {
      throw new AutoCalibrationError('INVALID_ARGUMENT', `the sensitivity ranking names ${entry.layer}, which is not a quantized layer of the config`, {
        layer: entry.layer,
        field: 'sensitivity',
        hint: 'rank only the layers passed in (the config\'s layers with "quant_enable": true)',
      });
    }
    if (!seen.has(entry.layer)) out.push(entry);
    seen.add(entry.layer);
  }
  const missing = candidates.filter((c) => !seen.has(c));
  if (missing.length > 0) log.warn(`auto calibration: the sensitivity ranking left out ${missing.length} layer(s) (${missing.slice(0, 3).join(', ')}...); they are tried in float last`);
  for (const layer of missing) out.push({ layer, isolated: { cosine: Number.NaN, sqnrDb: Number.NaN, relL2: Number.NaN } });
  return out;
}

export interface RankingFileInfo {
  sensitivity: string;
  modelFile: string;
  recordFile: string;
  batches: number;
  /** Layers measured with the DMQ balancer on (the balancer step of auto calibration). */
  balanced?: readonly string[];
}

/** accuracy_based_auto_calibration_ranking_information.json: every candidate, most sensitive first. */
export async function writeRanking(file: string, ranking: LayerSensitivity[], info: RankingFileInfo, inputs: readonly string[]): Promise<void> {
  const json = {
    sensitivity: info.sensitivity,
    model: info.modelFile,
    record_file: info.recordFile,
    batches: info.batches,
    order: 'most sensitive first',
    layers: ranking.map((r, i) => ({
      rank: i + 1,
      layer: r.layer,
      ...(info.balanced?.includes(r.layer) ? { dmq_balancer: true } : {}),
      cosine: finiteOrNull(r.isolated.cosine),
      sqnr_db: finiteOrNull(r.isolated.sqnrDb),
      rel_l2: finiteOrNull(r.isolated.relL2),
    })),
  };
  await writeFileAtomic(file, JSON.stringify(json, null, 2) + '\n', { inputs });
}

/** JSON has no NaN or Infinity (an exact layer has SQNR +∞). */
function finiteOrNull(v: number): number | string | null {
  if (Number.isFinite(v)) return v;
  if (Number.isNaN(v)) return null;
  return v > 0 ? 'Infinity' : '-Infinity';
}
