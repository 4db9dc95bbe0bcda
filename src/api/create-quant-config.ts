/**
 * createQuantConfig (SPEC §1, §3, §4): AMCT's create_quant_config. Writes the JSON config
 * that lists every quantizable layer of the graph with its calibration settings.
 *
 * The graph is prepared (tfjs ops split, BN/Mul/Add folded) on a CLONE: the config must
 * name the layers quantizeModel will see after the same preparation, but the user's graph
 * must stay as loaded until quantizeModel, which edits it in place as AMCT does.
 */
import * as path from 'path';
import { buildQuantConfig, formatQuantConfig, readConfigDefinition } from '../config';
import type { ConfigDefinition, QuantConfig } from '../config';
import { ConfigError, GraphError } from '../errors';
import { Graph } from '../ir';
import { writeFileAtomic } from '../io';
import { log } from '../log';
import { findLayers, findQuantizationNodes, prepareGraph } from '../passes';
import type { LayerCandidate } from '../passes/layer-types';

export interface CreateQuantConfigOptions {
  /** Layers listed with "quant_enable": false (AMCT's skip_layers). */
  skipLayers?: string[];
  /** Calibration batches the user will run (AMCT's batch_num), default 1. */
  batchNum?: number;
  /** Asymmetric activations (with offset_d), default true. */
  activationOffset?: boolean;
  /**
   * Path of a simplified config (.cfg, protobuf text, SPEC §4). When given it replaces
   * skipLayers, batchNum and activationOffset, as AMCT's config_defination does.
   */
  configDefinition?: string;
  /**
   * Turns the DMQ balancer on for every layer with weights, with this migration strength
   * α in [0.2, 0.8] (SPEC §10; ours as an option, AMCT sets it in the .cfg). Off when
   * absent. With configDefinition, the .cfg's dmq_balancer settings apply instead.
   */
  dmqBalancerParam?: number;
}

/** One layer candidate as the config treats it, for callers that print the layer list. */
export interface ConfigLayerInfo {
  name: string;
  op: string;
  /** Whether the op and its inputs allow quantization at all. */
  quantizable: boolean;
  /** Listed in the config with "quant_enable": true. */
  enabled: boolean;
  /** Why it is not quantizable, or "skipped by the config" when the user turned it off. */
  reason?: string;
}

export interface CreateQuantConfigResult {
  /** Absolute path of the config written. */
  configFile: string;
  /** Every layer candidate of the prepared graph, in graph order. */
  layers: ConfigLayerInfo[];
}

function checkArguments(configFile: unknown, graph: unknown, options: unknown): asserts options is CreateQuantConfigOptions {
  if (typeof configFile !== 'string' || configFile.length === 0) {
    throw new ConfigError('INVALID_ARGUMENT', 'createQuantConfig needs the path of the config file to write', { hint: 'e.g. "out/config.json"' });
  }
  if (!(graph instanceof Graph)) {
    throw new ConfigError('INVALID_ARGUMENT', 'createQuantConfig needs a Graph', { hint: 'load one with loadGraph(path)' });
  }
  const o = (options ?? {}) as CreateQuantConfigOptions;
  if (o.skipLayers !== undefined && (!Array.isArray(o.skipLayers) || !o.skipLayers.every((s) => typeof s === 'string'))) {
    throw new ConfigError('INVALID_ARGUMENT', 'skipLayers must be an array of layer names', { field: 'skip_layers', hint: 'pass node names, e.g. skipLayers: ["conv1/Conv2D"]' });
  }
  if (o.activationOffset !== undefined && typeof o.activationOffset !== 'boolean') {
    throw new ConfigError('INVALID_ARGUMENT', `activationOffset must be true or false, got ${String(o.activationOffset)}`, { field: 'activation_offset', hint: 'pass activationOffset: true (asymmetric) or false (symmetric)' });
  }
  if (o.dmqBalancerParam !== undefined && typeof o.dmqBalancerParam !== 'number') {
    throw new ConfigError('INVALID_ARGUMENT', `dmqBalancerParam must be a number in [0.2, 0.8], got ${JSON.stringify(o.dmqBalancerParam)}`, { field: 'dmq_balancer_param', hint: 'pass the migration strength α, e.g. dmqBalancerParam: 0.5, or leave it out to keep the balancer off' });
  }
  if (o.configDefinition !== undefined && (typeof o.configDefinition !== 'string' || o.configDefinition.length === 0)) {
    throw new ConfigError('INVALID_ARGUMENT', 'configDefinition must be the path of a .cfg file', { field: 'config_defination', hint: 'pass the path of a simplified config (.cfg) file, or leave configDefinition out' });
  }
}

/** A graph that went through quantizeModel has no layers left to configure. */
function refuseQuantized(graph: Graph): void {
  const found = findQuantizationNodes(graph);
  if (found.length === 0) return;
  throw new GraphError('MODEL_ALREADY_QUANTIZED', `the graph already holds ${found[0].op} node ${found[0].name}: it was quantized before`, {
    node: found[0].name,
    hint: 'create the config from the original model: load it again with loadGraph',
  });
}

async function loadDefinition(options: CreateQuantConfigOptions): Promise<ConfigDefinition | undefined> {
  if (options.configDefinition === undefined) return undefined;
  const ignored = (['skipLayers', 'batchNum', 'activationOffset', 'dmqBalancerParam'] as const).filter((k) => options[k] !== undefined);
  if (ignored.length > 0) log.warn(`configDefinition is given, so ${ignored.join(', ')} ${ignored.length > 1 ? 'are' : 'is'} ignored (as in AMCT)`);
  return readConfigDefinition(options.configDefinition);
}

function layerInfo(c: LayerCandidate, enabled: ReadonlySet<string>): ConfigLayerInfo {
  const on = enabled.has(c.name);
  const reason = c.reason ?? (c.quantizable && !on ? (c.kind === 'tensor' ? 'tensor quantization only (not in tensor_quantize)' : 'skipped by the config') : undefined);
  return { name: c.name, op: c.op, quantizable: c.quantizable, enabled: on, ...(reason !== undefined ? { reason } : {}) };
}

/** Layers with "quant_enable": true, and MaxPool/Add layers whose inputs tensor_quantize names. */
function enabledLayers(config: QuantConfig): Set<string> {
  const out = new Set<string>(config.tensor_quantize.map((t) => t.layer_name));
  for (const [key, value] of Object.entries(config)) {
    if (value !== null && typeof value === 'object' && (value as { quant_enable?: unknown }).quant_enable === true) out.add(key);
  }
  return out;
}

export async function createQuantConfig(configFile: string, graph: Graph, options: CreateQuantConfigOptions = {}): Promise<CreateQuantConfigResult> {
  checkArguments(configFile, graph, options);
  refuseQuantized(graph);
  const definition = await loadDefinition(options);
  const work = graph.clone();
  prepareGraph(work, { doFusion: definition?.doFusion ?? true, skipFusionLayers: definition?.skipFusionLayers ?? [] });
  const candidates = findLayers(work);
  const config = buildQuantConfig(candidates, { ...options, definition });
  const inputs = [...(graph.meta.sourceFiles ?? []), ...(options.configDefinition !== undefined ? [options.configDefinition] : [])];
  await writeFileAtomic(configFile, formatQuantConfig(config), { inputs });
  const enabled = enabledLayers(config);
  const layers = candidates.map((c) => layerInfo(c, enabled));
  log.info(`createQuantConfig: ${enabled.size} of ${layers.length} layer candidates enabled, written to ${configFile}`);
  return { configFile: path.resolve(configFile), layers };
}
