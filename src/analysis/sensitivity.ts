/**
 * Isolated quantization sensitivity (SPEC §9, AMCT's 'CosineSimilarity'): each layer
 * quantized alone, exactly as saveModel would deploy it, fed the float model's own
 * activations; its output compared with the float layer's over every batch. This is the
 * ranking accuracyBasedAutoCalibration searches over and analyzeAccuracy reports.
 */
import { refuseQuantized, planDeployable } from '../api/deployable';
import type { Graph } from '../ir';
import { balanceFactorsOf, inputChannelsOf } from '../passes';
import type { LayerPlan } from '../passes';
import type { LayerRecord } from '../record';
import type { BackendName, Feeds } from '../runtime';
import { addComparison, addIsolatedCopies, floatTail } from './compare-graph';
import { readInputs, selectPlans } from './inputs';
import { compareSensitivity, metricsFromSums } from './metrics';
import type { ErrorMetrics } from './metrics';
import { checkBatches, runComparisons } from './run-batches';
import type { ProgressCallback } from './run-batches';

export interface LayerSensitivity {
  /** The layer's node name: the user's node (an unfused tfjs op keeps its name), and the key of the config and record. */
  layer: string;
  /** Its op type in the prepared graph (Conv2D for a _FusedConv2D). */
  op?: string;
  /** The nodes of the model as loaded that the layer stands for (itself, a folded BN, the fused op). */
  origins?: string[];
  isolated: ErrorMetrics;
}

export interface SensitivityOptions {
  /** Only these layers (config names); default every layer the record quantizes. */
  layers?: string[];
  backend?: BackendName;
  onProgress?: ProgressCallback;
}

/** The record's DMQ balancer factors s of every balanced layer of `plans` (SPEC §10). */
export function balanceFactorsByLayer(graph: Graph, plans: readonly LayerPlan[], records: ReadonlyMap<string, LayerRecord>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const p of plans) {
    const s = balanceFactorsOf(p.layer, records.get(p.activations[0]?.key ?? p.layer.name), inputChannelsOf(graph, p.layer));
    if (s) out.set(p.layer.name, s);
  }
  return out;
}

/** Isolated copies of `plans` (own deq_scale; balanced layers read x/s) plus one comparison node each, added to `graph`. */
export function addIsolatedComparisons(graph: Graph, plans: readonly LayerPlan[], balanceFactors: ReadonlyMap<string, Float32Array>): Map<string, string> {
  const copies = addIsolatedCopies(graph, plans, balanceFactors);
  return new Map(plans.map((p) => [p.layer.name, addComparison(graph, `${p.layer.name}/isolated`, floatTail(p), copies.get(p.layer.name)!)]));
}

export function originsOf(origins: ReadonlyMap<string, string[]>, layer: string): string[] {
  return [...(origins.get(layer) ?? [layer])];
}

/**
 * Each quantized layer alone (fed the float model's activations), its output vs the float
 * layer's, accumulated over all batches; sorted most sensitive first (lowest isolated cosine).
 */
export async function rankLayerSensitivity(modelFile: string, recordFile: string, batches: Feeds[], options: SensitivityOptions = {}): Promise<LayerSensitivity[]> {
  const fn = 'rankLayerSensitivity';
  const feeds = checkBatches(fn, batches);
  const { model, record, graph, records } = await readInputs(fn, modelFile, recordFile);
  refuseQuantized('save_model', graph, model);
  const { prepared, plans: all } = planDeployable('save_model', graph, records, record);
  const plans = selectPlans(all, options.layers, graph, record);
  const nodes = addIsolatedComparisons(graph, plans, balanceFactorsByLayer(graph, plans, records));
  const sums = await runComparisons(graph, [...nodes.values()], feeds, { backend: options.backend, onProgress: options.onProgress, label: fn });
  const ranking = plans.map((p): LayerSensitivity => ({
    layer: p.layer.name,
    op: p.layer.op,
    origins: originsOf(prepared.origins, p.layer.name),
    isolated: metricsFromSums(sums.get(nodes.get(p.layer.name)!)!),
  }));
  return ranking.sort((a, b) => compareSensitivity(a.isolated, b.isolated));
}
