/** Reading the float model and the record the accuracy tools compare, with typed errors. */
import * as path from 'path';
import { ConfigError, RecordError, SessionError } from '../errors';
import type { Graph } from '../ir';
import { loadGraph } from '../io';
import type { LayerPlan } from '../passes';
import { readRecord } from '../record';
import type { LayerRecord } from '../record';

export interface AnalysisInputs {
  model: string;
  record: string;
  graph: Graph;
  records: Map<string, LayerRecord>;
}

export function checkPath(fn: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new SessionError('INVALID_ARGUMENT', `${name} of ${fn} must be a non-empty path`, { hint: `got ${JSON.stringify(value)}` });
  }
  return value;
}

export async function readInputs(fn: string, modelFile: unknown, recordFile: unknown): Promise<AnalysisInputs> {
  const model = path.resolve(checkPath(fn, 'model', modelFile));
  const record = path.resolve(checkPath(fn, 'record_file', recordFile));
  const graph = await loadGraph(model);
  const records = await readRecord(record);
  return { model, record, graph, records };
}

/**
 * The plans of `layers` only (all when undefined). A layer the model does not have is
 * LAYER_NOT_FOUND; one the model has but the record does not quantize is
 * RECORD_MISSING_LAYER: the record must come from a calibration with that layer enabled.
 */
export function selectPlans(plans: LayerPlan[], layers: readonly string[] | undefined, graph: Graph, record: string): LayerPlan[] {
  if (layers === undefined) return plans;
  if (!Array.isArray(layers) || !layers.every((l) => typeof l === 'string')) {
    throw new ConfigError('INVALID_ARGUMENT', 'options.layers must be an array of layer names', { hint: 'name layers as the config does (their node names)' });
  }
  const byName = new Map(plans.map((p) => [p.layer.name, p]));
  for (const l of layers) {
    if (byName.has(l)) continue;
    if (!graph.has(l)) {
      throw new ConfigError('LAYER_NOT_FOUND', `Layer ${l} does not exist in the graph`, { layer: l, hint: 'name layers as the config does (their node names)' });
    }
    throw new RecordError('RECORD_MISSING_LAYER', `layer ${l} is not quantized by the record, so its quantization error cannot be measured`, {
      file: record,
      layer: l,
      hint: 'calibrate with this layer enabled (quant_enable true in the config), or leave it out of the layers to analyze',
    });
  }
  const wanted = new Set(layers);
  return plans.filter((p) => wanted.has(p.layer.name));
}
