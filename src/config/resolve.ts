/**
 * From a schema-valid JSON config to the settings each layer gets, checking the rules
 * the schema cannot: layers exist in the graph and can be quantized, search_range and
 * search_step agree, channel_wise only on the conv family, something left to quantize.
 * Fields left out take AMCT's defaults; `asymmetric` left out takes activation_offset.
 */
import { CandidateIndex, layerProblem, LayerUse } from './candidates';
import { HFMG_DEFAULT_BINS, IFMR_DEFAULTS, NUM_BITS } from './defaults';
import { CONV_FAMILY, forcesSymmetric, hasWeights } from './ops';
import { ConfigProblemError, pointerOf } from './problem';
import type { ErrorCode } from '../errors';
import { ifmrViolation } from './rules';
import { BALANCER_LAYER_HINT, balancerLayerProblem } from './balancer';
import {
  HEADER_KEYS, LayerQuantConfig, LoadedQuantConfig, QuantConfig, ResolvedActivation,
  ResolvedLayerConfig, ResolvedTensorQuantize, TensorQuantizeConfig, WeightQuantParams,
} from './types';

/** activation_quant_params as the file has it: any subset of the fields, already schema-checked. */
type JsonActivation = Record<string, unknown>;

function fail(message: string, pointer: string, layer?: string, field?: string, hint?: string, code?: ErrorCode): never {
  throw new ConfigProblemError({ message, pointer, layer, field, hint, code });
}

function requireLayer(index: CandidateIndex, name: string, use: LayerUse, pointer: string) {
  const p = layerProblem(index, name, use);
  if (p) fail(p.message, pointer, name, undefined, p.hint, p.code);
  return index.get(name)!;
}

/** `base` is the pointer of the activation_quant_params object; `owner` names it in messages. */
function activationOf(json: JsonActivation | undefined, activationOffset: boolean, base: string, owner: string, layer: string): ResolvedActivation {
  const p = json ?? {};
  const asymmetric = (p.asymmetric as boolean | undefined) ?? activationOffset;
  const numBits = (p.num_bits as number | undefined) ?? NUM_BITS;
  if (p.act_algo === 'hfmg') return { numBits, actAlgo: 'hfmg', asymmetric, numOfBins: (p.num_of_bins as number | undefined) ?? HFMG_DEFAULT_BINS };
  const range = (p.search_range as [number, number] | undefined) ?? IFMR_DEFAULTS.searchRange;
  const ifmr = {
    maxPercentile: (p.max_percentile as number | undefined) ?? IFMR_DEFAULTS.maxPercentile,
    minPercentile: (p.min_percentile as number | undefined) ?? IFMR_DEFAULTS.minPercentile,
    searchRange: [range[0], range[1]] as [number, number],
    searchStep: (p.search_step as number | undefined) ?? IFMR_DEFAULTS.searchStep,
  };
  const v = ifmrViolation(ifmr);
  if (v) {
    const field = v.field.startsWith('search_range') ? 'search_range' : v.field;
    const message = field === 'search_range' && !v.message.includes('IFMR candidates')
      ? `must be two numbers [start, end] with 0 < start < end, got ${JSON.stringify(ifmr.searchRange)}`
      : v.message;
    fail(`activation_quant_params.${field} of ${owner} ${message}`, `${base}/${field}`, layer, `activation_quant_params.${field}`);
  }
  return { numBits, actAlgo: 'ifmr', asymmetric, ifmr };
}

function resolveLayer(name: string, json: LayerQuantConfig, index: CandidateIndex, activationOffset: boolean): ResolvedLayerConfig {
  const at = pointerOf(name);
  const c = requireLayer(index, name, 'layer', at);
  const actJson = json.activation_quant_params as unknown as JsonActivation | undefined;
  let activation = activationOf(actJson, activationOffset, `${at}/activation_quant_params`, `layer ${name}`, name);
  if (forcesSymmetric(c.kind)) {
    if (actJson?.asymmetric === true) {
      fail(`activation_quant_params.asymmetric of layer ${name} must be false: both inputs of ${c.op} are activations, quantized symmetric`,
        `${at}/activation_quant_params/asymmetric`, name, 'activation_quant_params.asymmetric');
    }
    activation = { ...activation, asymmetric: false };
  }
  const w: Partial<WeightQuantParams> = json.weight_quant_params ?? {};
  if (w.channel_wise === true && !c.channelWiseAllowed) {
    fail(`weight_quant_params.channel_wise of layer ${name} can be true only for the conv family (${CONV_FAMILY}), not for ${c.op}`,
      `${at}/weight_quant_params/channel_wise`, name, 'weight_quant_params.channel_wise', 'set channel_wise to false');
  }
  const resolved: ResolvedLayerConfig = { name, op: c.op, kind: c.kind, quantEnable: json.quant_enable ?? true, activation };
  if (hasWeights(c.kind)) {
    resolved.weight = { numBits: w.num_bits ?? NUM_BITS, wtsAlgo: 'arq_quantize', channelWise: w.channel_wise ?? c.channelWiseAllowed };
  }
  if (json.dmq_balancer_param !== undefined) {
    // range and type are the schema's; the layer kind needs the graph
    const problem = balancerLayerProblem(c);
    if (problem) fail(`dmq_balancer_param of layer ${name}: ${problem}`, `${at}/dmq_balancer_param`, name, 'dmq_balancer_param', BALANCER_LAYER_HINT);
    resolved.dmqBalancer = json.dmq_balancer_param;
  }
  return resolved;
}

function resolveTensors(entries: TensorQuantizeConfig[], index: CandidateIndex, activationOffset: boolean): ResolvedTensorQuantize[] {
  const seen = new Set<string>();
  return entries.map((t, i) => {
    const c = requireLayer(index, t.layer_name, 'tensor', pointerOf('tensor_quantize', i, 'layer_name'));
    const key = `${t.layer_name}:${t.input_index}`;
    const field = `tensor_quantize[${i}].input_index`;
    if (!c.dataInputs.includes(t.input_index)) {
      fail(`input_index ${t.input_index} of layer ${t.layer_name} is not one of its data inputs (${c.dataInputs.join(', ')})`,
        pointerOf('tensor_quantize', i, 'input_index'), t.layer_name, field);
    }
    if (seen.has(key)) {
      fail(`input ${t.input_index} of layer ${t.layer_name} is listed twice in tensor_quantize`, pointerOf('tensor_quantize', i, 'input_index'), t.layer_name, field);
    }
    seen.add(key);
    const actJson = t.activation_quant_params as unknown as JsonActivation | undefined;
    const activation = activationOf(actJson, activationOffset, pointerOf('tensor_quantize', i, 'activation_quant_params'), `tensor_quantize entry ${key}`, t.layer_name);
    return { layerName: t.layer_name, inputIndex: t.input_index, op: c.op, recordKey: key, activation };
  });
}

export function resolveConfig(config: QuantConfig, index: CandidateIndex, file: string): LoadedQuantConfig {
  const activationOffset = config.activation_offset ?? true;
  const skipFusionLayers = config.skip_fusion_layers ?? [];
  skipFusionLayers.forEach((name, i) => requireLayer(index, name, 'any', pointerOf('skip_fusion_layers', i)));
  const resolved = new Map<string, ResolvedLayerConfig>();
  for (const key of Object.keys(config)) {
    if ((HEADER_KEYS as readonly string[]).includes(key)) continue;
    resolved.set(key, resolveLayer(key, config[key] as LayerQuantConfig, index, activationOffset));
  }
  const tensorQuantize = resolveTensors(config.tensor_quantize ?? [], index, activationOffset);
  if (![...resolved.values()].some((r) => r.quantEnable) && tensorQuantize.length === 0) {
    fail('no layer to quantize: no layer has quant_enable true and tensor_quantize is empty', '', undefined, undefined,
      'set quant_enable to true for at least one layer', 'NO_LAYER_TO_QUANTIZE');
  }
  return {
    file,
    config,
    batchNum: config.batch_num ?? 1,
    activationOffset,
    jointQuant: config.joint_quant ?? false,
    doFusion: config.do_fusion ?? true,
    skipFusionLayers: [...skipFusionLayers],
    resolved,
    tensorQuantize,
  };
}
