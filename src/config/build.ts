/**
 * The JSON config createQuantConfig writes (SPEC §3), from the graph's layer candidates
 * and either the API options or a simplified config definition (SPEC §4), which then
 * replaces skipLayers, batchNum and activationOffset.
 */
import { ConfigError } from '../errors';
import { LayerCandidate } from '../passes/layer-types';
import { CandidateIndex, indexCandidates, layerCandidatesSorted, layerProblem, LayerUse } from './candidates';
import { checkDefinition } from './cfg-check';
import { cfgError } from './cfg-lines';
import { activationJson, defaultIfmr, NUM_BITS, weightJson } from './defaults';
import { forcesSymmetric, hasWeights, matchesType } from './ops';
import { batchNumViolation } from './rules';
import { migrationStrengthViolation } from './balancer';
import { layerSettingsFromDefinition, tensorActivationFromDefinition } from './precedence';
import { ConfigDefinition, HEADER_KEYS, LayerQuantConfig, QuantConfig, ResolvedActivation, ResolvedWeight, TensorQuantizeConfig } from './types';

export interface BuildQuantConfigOptions {
  skipLayers?: string[];
  batchNum?: number;
  activationOffset?: boolean;
  /** A parsed simplified config; when given, the three options above are ignored. */
  definition?: ConfigDefinition;
  /**
   * DMQ balancer migration strength α in [0.2, 0.8] for every layer with weights (SPEC
   * §10, ours as an option); absent = off, as in AMCT. Ignored when `definition` is given
   * (the .cfg says it with dmq_balancer { migration_strength }).
   */
  dmqBalancerParam?: number;
}

type Settings = { activation: ResolvedActivation; weight?: ResolvedWeight; dmqBalancer?: number };

interface Plan {
  batchNum: number;
  activationOffset: boolean;
  jointQuant: boolean;
  doFusion: boolean;
  skipFusionLayers: string[];
  skipped: Set<string>;
  settings: (c: LayerCandidate) => Settings;
  tensorQuantize: TensorQuantizeConfig[];
}

function planFromOptions(opts: BuildQuantConfigOptions, index: CandidateIndex): Plan {
  const batchNum = opts.batchNum ?? 1;
  const batchProblem = batchNumViolation(batchNum);
  if (batchProblem) {
    throw new ConfigError('CONFIG_INVALID', batchProblem, {
      field: 'batch_num',
      hint: 'batchNum is how many calibration batches are run',
    });
  }
  for (const name of opts.skipLayers ?? []) {
    const p = layerProblem(index, name, 'skip');
    if (p) throw new ConfigError(p.code, p.message, { layer: name, field: 'skip_layers', hint: p.hint });
  }
  const activationOffset = opts.activationOffset ?? true;
  const alphaProblem = opts.dmqBalancerParam === undefined ? undefined : migrationStrengthViolation(opts.dmqBalancerParam);
  if (alphaProblem) {
    throw new ConfigError('CONFIG_INVALID', `dmqBalancerParam ${alphaProblem}`, { field: 'dmq_balancer_param', hint: 'the migration strength α lies in [0.2, 0.8]; 0.5 is the usual choice' });
  }
  return {
    batchNum,
    activationOffset,
    jointQuant: false,
    doFusion: true,
    skipFusionLayers: [],
    skipped: new Set(opts.skipLayers ?? []),
    settings: (c) => ({
      activation: defaultIfmr(forcesSymmetric(c.kind) ? false : activationOffset),
      weight: hasWeights(c.kind) ? { numBits: NUM_BITS, wtsAlgo: 'arq_quantize', channelWise: c.channelWiseAllowed } : undefined,
      dmqBalancer: hasWeights(c.kind) ? opts.dmqBalancerParam : undefined,
    }),
    tensorQuantize: [],
  };
}

/** Checks a name the .cfg gives at `path` against the graph. */
function checkCfgName(def: ConfigDefinition, index: CandidateIndex, name: string, use: LayerUse, path: string): void {
  const p = layerProblem(index, name, use);
  if (p) throw cfgError(def, p.code, p.message, path, { layer: name, hint: p.hint });
}

function tensorEntries(def: ConfigDefinition, index: CandidateIndex, skipped: Set<string>, activationOffset: boolean): TensorQuantizeConfig[] {
  const entries: TensorQuantizeConfig[] = [];
  def.tensorQuantize.forEach((t, i) => {
    checkCfgName(def, index, t.layerName, 'tensor', `tensor_quantize[${i}].layer_name[0]`);
    const inputs = index.get(t.layerName)!.dataInputs;
    if (!inputs.includes(t.inputIndex)) {
      throw cfgError(def, 'CONFIG_INVALID', `input_index ${t.inputIndex} of layer ${t.layerName} is not one of its data inputs (${inputs.join(', ')})`,
        `tensor_quantize[${i}].input_index[0]`, { layer: t.layerName, hint: `use one of the layer's data inputs: ${inputs.join(', ')}` });
    }
    if (skipped.has(t.layerName)) return;
    const activation = tensorActivationFromDefinition(def, i, activationOffset);
    entries.push({ layer_name: t.layerName, input_index: t.inputIndex, activation_quant_params: activationJson(activation) });
  });
  return entries;
}

function planFromDefinition(def: ConfigDefinition, layers: readonly LayerCandidate[], index: CandidateIndex): Plan {
  checkDefinition(def); // again: a definition may be built in code rather than parsed
  def.skipLayers.forEach((name, i) => checkCfgName(def, index, name, 'skip', `skip_layers[${i}]`));
  def.skipFusionLayers.forEach((name, i) => checkCfgName(def, index, name, 'any', `skip_fusion_layers[${i}]`));
  def.overrideLayerConfigs.forEach((o, i) => checkCfgName(def, index, o.layerName, 'layer', `override_layer_configs[${i}].layer_name[0]`));
  const skipped = new Set(def.skipLayers);
  for (const c of layers) if (def.skipLayerTypes.some((t) => matchesType(c.op, t))) skipped.add(c.name);
  const activationOffset = def.activationOffset ?? true;
  return {
    batchNum: def.batchNum ?? 1,
    activationOffset,
    jointQuant: def.jointQuant ?? false,
    doFusion: def.doFusion ?? true,
    skipFusionLayers: [...def.skipFusionLayers],
    skipped,
    settings: (c) => layerSettingsFromDefinition(def, c, activationOffset),
    tensorQuantize: tensorEntries(def, index, skipped, activationOffset),
  };
}

function layerJson(c: LayerCandidate, plan: Plan): LayerQuantConfig {
  const s = plan.settings(c);
  const json: LayerQuantConfig = { quant_enable: !plan.skipped.has(c.name), activation_quant_params: activationJson(s.activation) };
  if (s.weight) json.weight_quant_params = weightJson(s.weight);
  if (s.dmqBalancer !== undefined) json.dmq_balancer_param = s.dmqBalancer;
  return json;
}

function requireSomethingToQuantize(layers: readonly LayerCandidate[], listed: LayerCandidate[], plan: Plan): void {
  if (listed.some((c) => !plan.skipped.has(c.name)) || plan.tensorQuantize.length > 0) return;
  if (listed.length > 0) {
    throw new ConfigError('NO_LAYER_TO_QUANTIZE', `no layer to quantize: all ${listed.length} quantizable layers are skipped`, {
      hint: 'remove some layers from skip_layers / skip_layer_types',
    });
  }
  const why = layers.filter((c) => !c.quantizable).slice(0, 3).map((c) => `${c.name}: ${c.reason ?? 'not quantizable'}`);
  throw new ConfigError('NO_LAYER_TO_QUANTIZE', 'no layer to quantize: the graph has no quantizable layer', {
    hint: why.length > 0 ? `layers found but not quantizable: ${why.join('; ')}` : 'the graph has no Conv2D, MatMul, AvgPool or similar layer',
  });
}

/** The JSON config object; write it with formatQuantConfig. */
export function buildQuantConfig(layers: readonly LayerCandidate[], opts: BuildQuantConfigOptions = {}): QuantConfig {
  const index = indexCandidates(layers);
  const plan = opts.definition ? planFromDefinition(opts.definition, layers, index) : planFromOptions(opts, index);
  const config = {
    version: 1,
    batch_num: plan.batchNum,
    activation_offset: plan.activationOffset,
    joint_quant: plan.jointQuant,
    do_fusion: plan.doFusion,
    skip_fusion_layers: plan.skipFusionLayers,
    tensor_quantize: plan.tensorQuantize,
  } as QuantConfig;
  const listed = layerCandidatesSorted(layers);
  for (const c of listed) {
    if ((HEADER_KEYS as readonly string[]).includes(c.name)) {
      throw new ConfigError('CONFIG_INVALID', `Layer ${c.name} has the name of a config field and cannot be listed in the config`, {
        layer: c.name,
        hint: 'rename the node in the graph, or add it to skip layers',
      });
    }
    config[c.name] = layerJson(c, plan);
  }
  requireSomethingToQuantize(layers, listed, plan);
  return config;
}
