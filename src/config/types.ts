/**
 * Config shapes: the JSON file (snake_case, as AMCT writes it, SPEC §3), the settings a
 * layer resolves to (camelCase, what quantizeModel uses), and the simplified .cfg
 * definition (SPEC §4) once parsed.
 */
import { LayerKind } from '../passes/layer-types';

// ---- JSON file (SPEC §3) ----

export type ActAlgo = 'ifmr' | 'hfmg';

export interface IfmrActivationParams {
  num_bits: number;
  act_algo: 'ifmr';
  max_percentile: number;
  min_percentile: number;
  search_range: [number, number];
  search_step: number;
  asymmetric?: boolean;
}

export interface HfmgActivationParams {
  num_bits: number;
  act_algo: 'hfmg';
  num_of_bins: number;
  asymmetric?: boolean;
}

export type ActivationQuantParams = IfmrActivationParams | HfmgActivationParams;

export interface WeightQuantParams {
  num_bits: number;
  wts_algo: 'arq_quantize';
  channel_wise: boolean;
}

export interface LayerQuantConfig {
  quant_enable: boolean;
  activation_quant_params: ActivationQuantParams;
  /** Absent for layers without weights (AvgPool, BatchMatMul of two activations). */
  weight_quant_params?: WeightQuantParams;
  /** DMQ balancer migration strength α in [0.2, 0.8] (SPEC §10); absent = off. Layers with weights only. */
  dmq_balancer_param?: number;
}

/** Quantization of one input tensor of a MaxPool/Add (recorded as `layer:input_index`). */
export interface TensorQuantizeConfig {
  layer_name: string;
  input_index: number;
  activation_quant_params: ActivationQuantParams;
}

export interface QuantConfigHeader {
  version: 1;
  batch_num: number;
  activation_offset: boolean;
  joint_quant: boolean;
  do_fusion: boolean;
  skip_fusion_layers: string[];
  tensor_quantize: TensorQuantizeConfig[];
}

/** The JSON config: the header keys, then one key per layer. */
export type QuantConfig = QuantConfigHeader & {
  [layer: string]: LayerQuantConfig | QuantConfigHeader[keyof QuantConfigHeader];
};

export const HEADER_KEYS: readonly (keyof QuantConfigHeader)[] = [
  'version',
  'batch_num',
  'activation_offset',
  'joint_quant',
  'do_fusion',
  'skip_fusion_layers',
  'tensor_quantize',
];

// ---- Resolved settings ----

export interface IfmrSettings {
  maxPercentile: number;
  minPercentile: number;
  searchRange: [number, number];
  searchStep: number;
}

export interface ResolvedActivation {
  numBits: number;
  actAlgo: ActAlgo;
  /** With offset (asymmetric) or without; `asymmetric` overrides `activation_offset`. */
  asymmetric: boolean;
  /** When actAlgo is 'ifmr'. */
  ifmr?: IfmrSettings;
  /** When actAlgo is 'hfmg'. */
  numOfBins?: number;
}

export interface ResolvedWeight {
  numBits: number;
  wtsAlgo: 'arq_quantize';
  channelWise: boolean;
}

export interface ResolvedLayerConfig {
  name: string;
  op: string;
  kind: LayerKind;
  quantEnable: boolean;
  activation: ResolvedActivation;
  /** When the layer has weights. */
  weight?: ResolvedWeight;
  /** DMQ balancer migration strength α (SPEC §10), when on. */
  dmqBalancer?: number;
}

export interface ResolvedTensorQuantize {
  layerName: string;
  inputIndex: number;
  op: string;
  /** Key in the record file: `layer:input_index`. */
  recordKey: string;
  activation: ResolvedActivation;
}

export interface LoadedQuantConfig {
  file: string;
  /** The JSON as read. */
  config: QuantConfig;
  batchNum: number;
  activationOffset: boolean;
  jointQuant: boolean;
  doFusion: boolean;
  skipFusionLayers: string[];
  /** Every layer listed in the file, enabled or not. */
  resolved: Map<string, ResolvedLayerConfig>;
  tensorQuantize: ResolvedTensorQuantize[];
}

// ---- Simplified config definition (SPEC §4) ----

export interface IfmrDefinition {
  searchRangeStart?: number;
  searchRangeEnd?: number;
  searchStep?: number;
  maxPercentile?: number;
  minPercentile?: number;
  asymmetric?: boolean;
}

export interface HfmgDefinition {
  numOfBins?: number;
  asymmetric?: boolean;
}

export interface CalibrationDefinition {
  arqQuantize?: { channelWise?: boolean };
  ifmrQuantize?: IfmrDefinition;
  hfmgQuantize?: HfmgDefinition;
  /** `dmq_balancer { migration_strength }` (SPEC §10). */
  dmqBalancer?: { migrationStrength?: number };
}

export interface TensorQuantizeDefinition {
  layerName: string;
  inputIndex: number;
  ifmrQuantize?: IfmrDefinition;
  hfmgQuantize?: HfmgDefinition;
}

export interface ConfigDefinition {
  batchNum?: number;
  activationOffset?: boolean;
  jointQuant?: boolean;
  doFusion?: boolean;
  skipLayers: string[];
  skipLayerTypes: string[];
  skipFusionLayers: string[];
  commonConfig?: CalibrationDefinition;
  overrideLayerTypes: { layerType: string; calibrationConfig: CalibrationDefinition }[];
  overrideLayerConfigs: { layerName: string; calibrationConfig: CalibrationDefinition }[];
  tensorQuantize: TensorQuantizeDefinition[];
  /** The text it was parsed from, so errors found later can name the line. */
  source?: { file?: string; text: string };
}
