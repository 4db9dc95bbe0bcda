/**
 * A layer's settings from a .cfg (SPEC §4): override_layer_configs > override_layer_types
 * > common_config > activation_offset. The weight setting (arq_quantize) and the
 * activation setting (ifmr_quantize or hfmg_quantize) are each taken whole from the
 * highest-priority calibration config that has one; fields it leaves out take AMCT's
 * defaults, and `asymmetric` left out takes activation_offset.
 */
import { LayerCandidate } from '../passes/layer-types';
import { cfgError } from './cfg-lines';
import { HFMG_DEFAULT_BINS, IFMR_DEFAULTS, NUM_BITS } from './defaults';
import { CONV_FAMILY, forcesSymmetric, hasWeights, matchesType } from './ops';
import { BALANCER_LAYER_HINT, balancerLayerProblem } from './balancer';
import { CalibrationDefinition, ConfigDefinition, HfmgDefinition, IfmrDefinition, ResolvedActivation, ResolvedWeight } from './types';

interface Source {
  config: CalibrationDefinition;
  /** Path of the calibration_config in the .cfg, for error lines. */
  path: string;
  /** common_config applies to every layer, so settings a layer cannot take are dropped, not errors. */
  common: boolean;
}

function sourcesFor(def: ConfigDefinition, c: LayerCandidate): Source[] {
  const sources: Source[] = [];
  const byName = def.overrideLayerConfigs.findIndex((o) => o.layerName === c.name);
  if (byName >= 0) {
    sources.push({ config: def.overrideLayerConfigs[byName].calibrationConfig, path: `override_layer_configs[${byName}].calibration_config[0]`, common: false });
  }
  // an entry for the op's own type (_FusedConv2D) wins over one for its plain type (Conv2D)
  const exact = def.overrideLayerTypes.findIndex((o) => o.layerType === c.op);
  const plain = def.overrideLayerTypes.findIndex((o) => matchesType(c.op, o.layerType));
  const byType = exact >= 0 ? exact : plain;
  if (byType >= 0) {
    sources.push({ config: def.overrideLayerTypes[byType].calibrationConfig, path: `override_layer_types[${byType}].calibration_config[0]`, common: false });
  }
  if (def.commonConfig) sources.push({ config: def.commonConfig, path: 'common_config[0]', common: true });
  return sources;
}

/** Activation settings from an ifmr_quantize or hfmg_quantize (IFMR defaults when neither). */
export function activationFrom(ifmr: IfmrDefinition | undefined, hfmg: HfmgDefinition | undefined, activationOffset: boolean): ResolvedActivation {
  if (hfmg) {
    return { numBits: NUM_BITS, actAlgo: 'hfmg', numOfBins: hfmg.numOfBins ?? HFMG_DEFAULT_BINS, asymmetric: hfmg.asymmetric ?? activationOffset };
  }
  const i = ifmr ?? {};
  return {
    numBits: NUM_BITS,
    actAlgo: 'ifmr',
    asymmetric: i.asymmetric ?? activationOffset,
    ifmr: {
      maxPercentile: i.maxPercentile ?? IFMR_DEFAULTS.maxPercentile,
      minPercentile: i.minPercentile ?? IFMR_DEFAULTS.minPercentile,
      searchRange: [i.searchRangeStart ?? IFMR_DEFAULTS.searchRange[0], i.searchRangeEnd ?? IFMR_DEFAULTS.searchRange[1]],
      searchStep: i.searchStep ?? IFMR_DEFAULTS.searchStep,
    },
  };
}

function layerActivation(def: ConfigDefinition, c: LayerCandidate, sources: Source[], activationOffset: boolean): ResolvedActivation {
  const src = sources.find((s) => s.config.ifmrQuantize || s.config.hfmgQuantize);
  const activation = activationFrom(src?.config.ifmrQuantize, src?.config.hfmgQuantize, activationOffset);
  if (!forcesSymmetric(c.kind)) return activation;
  const explicit = src?.config.ifmrQuantize?.asymmetric ?? src?.config.hfmgQuantize?.asymmetric;
  if (explicit === true && src && !src.common) {
    const algo = src.config.ifmrQuantize ? 'ifmr_quantize' : 'hfmg_quantize';
    throw cfgError(def, 'CONFIG_INVALID', `Layer ${c.name} multiplies two activations, which are quantized symmetric; asymmetric cannot be true`,
      `${src.path}.${algo}[0].asymmetric[0]`, { layer: c.name, hint: 'set asymmetric: false or remove it for this layer' });
  }
  return { ...activation, asymmetric: false };
}

function layerWeight(def: ConfigDefinition, c: LayerCandidate, sources: Source[]): ResolvedWeight | undefined {
  if (!hasWeights(c.kind)) return undefined;
  const src = sources.find((s) => s.config.arqQuantize?.channelWise !== undefined);
  let channelWise = src?.config.arqQuantize?.channelWise ?? c.channelWiseAllowed;
  if (channelWise && !c.channelWiseAllowed) {
    if (src && !src.common) {
      throw cfgError(def, 'CONFIG_INVALID', `channel_wise can be true only for the conv family (${CONV_FAMILY}), not for layer ${c.name} (${c.op})`,
        `${src.path}.arq_quantize[0].channel_wise[0]`, { layer: c.name, hint: 'set channel_wise: false for this layer' });
    }
    channelWise = false;
  }
  return { numBits: NUM_BITS, wtsAlgo: 'arq_quantize', channelWise };
}

/**
 * dmq_balancer from the highest-priority calibration config that has one. common_config's
 * applies to the layers with weights only; a layer type or layer override that names a
 * layer without weights is an error.
 */
function layerBalancer(def: ConfigDefinition, c: LayerCandidate, sources: Source[]): number | undefined {
  const src = sources.find((s) => s.config.dmqBalancer?.migrationStrength !== undefined);
  if (!src) return undefined;
  const problem = balancerLayerProblem(c);
  if (!problem) return src.config.dmqBalancer!.migrationStrength;
  if (src.common) return undefined;
  throw cfgError(def, 'CONFIG_INVALID', `dmq_balancer for layer ${c.name}: ${problem}`, `${src.path}.dmq_balancer[0]`, { layer: c.name, hint: BALANCER_LAYER_HINT });
}

/** The activation and weight settings a layer gets from the definition. */
export function layerSettingsFromDefinition(
  def: ConfigDefinition,
  c: LayerCandidate,
  activationOffset: boolean,
): { activation: ResolvedActivation; weight?: ResolvedWeight; dmqBalancer?: number } {
  const sources = sourcesFor(def, c);
  const settings: { activation: ResolvedActivation; weight?: ResolvedWeight; dmqBalancer?: number } = {
    activation: layerActivation(def, c, sources, activationOffset),
    weight: layerWeight(def, c, sources),
  };
  const alpha = layerBalancer(def, c, sources);
  if (alpha !== undefined) settings.dmqBalancer = alpha;
  return settings;
}

/** A tensor_quantize entry's own algorithm, else common_config's, else IFMR defaults. */
export function tensorActivationFromDefinition(def: ConfigDefinition, index: number, activationOffset: boolean): ResolvedActivation {
  const t = def.tensorQuantize[index];
  if (t.ifmrQuantize || t.hfmgQuantize) return activationFrom(t.ifmrQuantize, t.hfmgQuantize, activationOffset);
  return activationFrom(def.commonConfig?.ifmrQuantize, def.commonConfig?.hfmgQuantize, activationOffset);
}
