/**
 * Which layers of the prepared graph a record quantizes (saveModel / convertModel).
 * Every record key must name a quantizable layer (or `name:input_index` of one);
 * every key a selected layer needs must hold scale_d. Errors say what the user can do,
 * worded for the entry point: a record from calibration points at the calibration, a
 * record written by hand (convertModel) at its own contents.
 */
import { RecordError } from '../errors';
import type { LayerCandidate } from '../passes';
import { recordKeysOf } from '../passes';
import type { LayerRecord } from '../record';

export type SaveMode = 'save_model' | 'convert_model';

const HINTS: Record<SaveMode, { unknown: string; missing: string }> = {
  save_model: {
    unknown: 'the record was made for another model; run quantizeModel and the calibration on this model again',
    missing: 'run the calibration graph for batch_num batches so every layer is recorded, then save again',
  },
  convert_model: {
    unknown: 'check the keys of your record: a layer is named by its node name, tensor quantization by name:input_index',
    missing: 'give scale_d (and offset_d, default 0) for every layer and tensor of the record',
  },
};

function missingScaleD(mode: SaveMode, key: string, file: string): RecordError {
  const tail = mode === 'save_model' ? 'please check the calibration' : 'please check the record_file';
  return new RecordError('RECORD_MISSING_LAYER', `cannot find scale_d of layer ${key} in record_file, ${tail}`, {
    file,
    layer: key,
    hint: HINTS[mode].missing,
  });
}

function mismatch(message: string, key: string, file: string, hint: string): RecordError {
  return new RecordError('RECORD_MODEL_MISMATCH', message, { file, layer: key, hint });
}

/** Explains a key that names no layer key, pointing at near misses (a layer recorded per input). */
function unknownKey(mode: SaveMode, key: string, byName: Map<string, LayerCandidate>, file: string): RecordError {
  const layer = byName.get(key);
  if (layer) {
    const keys = recordKeysOf(layer).join(', ');
    return mismatch(`layer ${key} in record_file has the wrong key: ${layer.op} ${key} is recorded per input (${keys})`, key, file, HINTS[mode].unknown);
  }
  return mismatch(`layer ${key} in record_file does not exist in the model or is not a quantizable layer`, key, file, HINTS[mode].unknown);
}

export interface Selection {
  /** Layers to quantize, in graph order. */
  layers: LayerCandidate[];
  /** The record keys each selected layer uses. */
  keys: Map<string, string[]>;
}

/**
 * Maps the record onto the candidates of the prepared graph. Throws RECORD_MODEL_MISMATCH
 * for a key that fits no quantizable layer and RECORD_MISSING_LAYER for a selected layer
 * whose record lacks scale_d.
 */
export function selectLayers(mode: SaveMode, candidates: LayerCandidate[], records: ReadonlyMap<string, LayerRecord>, file: string): Selection {
  const byKey = new Map<string, LayerCandidate>();
  const byName = new Map<string, LayerCandidate>();
  for (const c of candidates) {
    byName.set(c.name, c);
    for (const k of recordKeysOf(c)) byKey.set(k, c);
  }
  for (const key of records.keys()) {
    const layer = byKey.get(key);
    if (!layer) throw unknownKey(mode, key, byName, file);
    if (!layer.quantizable) {
      throw mismatch(`layer ${key} in record_file cannot be quantized: ${layer.reason}`, key, file, 'remove it from the record, or fix the model so the layer qualifies');
    }
  }
  const selection: Selection = { layers: [], keys: new Map() };
  for (const c of candidates) {
    const all = recordKeysOf(c);
    const present = all.filter((k) => records.has(k));
    if (present.length === 0) continue;
    // Tensor quantization may cover some inputs of an Add; every other layer needs all its keys.
    const needed = c.kind === 'tensor' ? present : all;
    for (const k of needed) if (records.get(k)?.scaleD === undefined) throw missingScaleD(mode, k, file);
    selection.layers.push(c);
    selection.keys.set(c.name, needed);
  }
  return selection;
}

/** Layers whose fusions quantizeModel skipped, as the record remembers them (skip_fusion). */
export function skipFusionLayers(records: ReadonlyMap<string, LayerRecord>): string[] {
  return [...records].filter(([, r]) => r.skipFusion === true).map(([k]) => k);
}
