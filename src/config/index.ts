/** Quantization config: the JSON file (SPEC §3) and the simplified .cfg (SPEC §4). */
export { buildQuantConfig } from './build';
export type { BuildQuantConfigOptions } from './build';
export { parseConfigDefinition, readConfigDefinition } from './cfg-parse';
export { HFMG_BINS, HFMG_DEFAULT_BINS, IFMR_DEFAULTS } from './defaults';
export { formatQuantConfig } from './format';
export { loadQuantConfig, parseQuantConfig } from './load';
export { LAYER_TYPES, matchesType, TENSOR_TYPES } from './ops';
export { QUANT_CONFIG_SCHEMA_PATH } from './schema';
export { HEADER_KEYS } from './types';
export type {
  ActAlgo, ActivationQuantParams, CalibrationDefinition, ConfigDefinition, HfmgActivationParams, HfmgDefinition,
  IfmrActivationParams, IfmrDefinition, IfmrSettings, LayerQuantConfig, LoadedQuantConfig, QuantConfig, QuantConfigHeader,
  ResolvedActivation, ResolvedLayerConfig, ResolvedTensorQuantize, ResolvedWeight, TensorQuantizeConfig,
  TensorQuantizeDefinition, WeightQuantParams,
} from './types';
