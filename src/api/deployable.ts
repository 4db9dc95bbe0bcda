/**
 * The deployable INT8 graph, built in memory (SPEC §6): what saveModel writes and what
 * the accuracy tools (src/analysis/) measure, so both see exactly the same graph.
 *
 *   refuse a model already holding calibration or Ascend ops → check outputs → the same
 *   fusions quantizeModel made (do_fusion, minus the layers whose record says
 *   skip_fusion) → find layers → map record keys to them → plan every layer (all
 *   numbers; a bad record fails before any edit) → DMQ balance → emit → give outputs their names back
 *   → validate.
 */
import { QuantizeError } from '../errors';
import type { Graph } from '../ir';
import { applyBalance, emitAscend, findLayers, findQuantizationNodes, planBalance, planLayer, prepareGraph } from '../passes';
import type { BalancePlan, LayerPlan, PrepareReport } from '../passes';
import type { LayerRecord } from '../record';
import { checkOutputs, OutputTracker } from './save-outputs';
import { QuantJsonBuilder } from './save-quant-json';
import type { QuantJson, QuantJsonFiles } from './save-quant-json';
import { SaveMode, selectLayers, skipFusionLayers } from './save-record';

export interface DeployableGraph {
  /** The deployable graph (Ascend ops, INT8 weights); outputs keep the user's names. */
  graph: Graph;
  /** With `keepFloat`: the prepared float graph the plans were made on, before emission. */
  float?: Graph;
  /** One plan per quantized layer, in graph order (names of the prepared graph). */
  plans: LayerPlan[];
  /**
   * The same plans as each layer computes alone: deq_scale before the DMQ balancer
   * divided it by a consumer's s (folding 1/s into the producer). For isolated copies.
   */
  ownPlans: LayerPlan[];
  /** The DMQ balancer's decision for every balanced layer (SPEC §10); empty without it. */
  balance: BalancePlan[];
  /** Prepared node → the nodes of the loaded graph it stands for (fused, unfused). */
  origins: ReadonlyMap<string, string[]>;
  /** In `float`: the node holding each of the user's outputs, in the order of the outputs. */
  outputHolders: string[];
  /** The `_quant.json` content for the given file names. */
  quantJson(files: QuantJsonFiles): QuantJson;
}

export interface DeployableOptions {
  /** Keep a copy of the prepared float graph (for float-vs-INT8 comparison). */
  keepFloat?: boolean;
}

export function refuseQuantized(mode: SaveMode, graph: Graph, file: string): void {
  const found = findQuantizationNodes(graph);
  if (found.length === 0) return;
  const what = mode === 'save_model' ? 'the original float model, the one given to quantizeModel' : 'a float model';
  throw new QuantizeError('MODEL_ALREADY_QUANTIZED', `the model already contains quantization ops (${found[0].op} node ${found[0].name}); ${mode} needs ${what}`, {
    file,
    node: found[0].name,
    hint: 'pass the model file as it was before quantization, not the calibration graph or a *_quantized.pb',
  });
}

export interface PlannedGraph {
  prepared: PrepareReport;
  /** One plan per layer the record quantizes, in GraphDef order. */
  plans: LayerPlan[];
}

/**
 * Prepares `graph` in place (the fusions quantizeModel made) and plans every layer the
 * record quantizes; the graph is still float. Record problems throw before any emission.
 */
export function planDeployable(mode: SaveMode, graph: Graph, records: Map<string, LayerRecord>, recordFile: string): PlannedGraph {
  const prepared = prepareGraph(graph, { doFusion: true, skipFusionLayers: skipFusionLayers(records) });
  const selection = selectLayers(mode, findLayers(graph), records, recordFile);
  return { prepared, plans: selection.layers.map((layer) => planLayer(graph, layer, records)) };
}

/**
 * Rewrites `graph` (the float model as loaded from `files.model`) in place into the
 * deployable graph of `records` (read from `files.record`; both names only for errors).
 */
export function buildDeployable(
  mode: SaveMode,
  graph: Graph,
  outputs: unknown,
  records: Map<string, LayerRecord>,
  files: { model: string; record: string },
  options: DeployableOptions = {},
): DeployableGraph {
  refuseQuantized(mode, graph, files.model);
  const tracker = new OutputTracker(graph, checkOutputs(mode, graph, outputs, files.model));
  const { prepared, plans } = planDeployable(mode, graph, records, files.record);
  const float = options.keepFloat ? graph.clone() : undefined;
  const outputHolders = tracker.afterPrepare(graph, prepared.renamedOutputs);
  // DMQ balancer (SPEC §10): 1/s folded into producers or a Mul before AscendQuant; `float` stays unbalanced.
  const ownPlans = plans.map((p) => ({ ...p })); // planBalance replaces a producer's deqScale, never edits it
  const balance = planBalance(graph, plans, records, outputHolders);
  const map = new QuantJsonBuilder(graph, prepared.origins);
  map.markPlans(graph, plans);
  applyBalance(graph, balance, plans);
  map.markBalance(graph, balance);
  const report = emitAscend(graph, plans, outputHolders);
  map.markEmitted(graph, report);
  tracker.restore(graph);
  graph.validate();
  return { graph, float, plans, ownPlans, balance, origins: prepared.origins, outputHolders, quantJson: (f) => map.build(graph, f) };
}
