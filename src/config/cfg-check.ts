/**
 * Checks of a parsed .cfg that need no graph: values in range, required names present,
 * known layer types, nothing listed twice. Every error names the line.
 */
import { cfgError, cfgLine, displayPath } from './cfg-lines';
import { HFMG_DEFAULT_BINS, IFMR_DEFAULTS } from './defaults';
import { LAYER_TYPES, TENSOR_TYPES } from './ops';
import { batchNumViolation, binsViolation, ifmrViolation } from './rules';
import { migrationStrengthViolation } from './balancer';
import { CalibrationDefinition, ConfigDefinition, HfmgDefinition, IfmrDefinition } from './types';

const TYPES_HINT = `layer types are TensorFlow op types: ${LAYER_TYPES.join(', ')}`;

function checkActivation(def: ConfigDefinition, path: string, ifmr?: IfmrDefinition, hfmg?: HfmgDefinition): void {
  const where = displayPath(path);
  if (ifmr && hfmg) {
    throw cfgError(def, 'CONFIG_INVALID', `${where} sets both ifmr_quantize and hfmg_quantize`, `${path}.hfmg_quantize[0]`, {
      hint: 'choose one activation algorithm per calibration config',
    });
  }
  if (ifmr) {
    const v = ifmrViolation({
      maxPercentile: ifmr.maxPercentile ?? IFMR_DEFAULTS.maxPercentile,
      minPercentile: ifmr.minPercentile ?? IFMR_DEFAULTS.minPercentile,
      searchRange: [ifmr.searchRangeStart ?? IFMR_DEFAULTS.searchRange[0], ifmr.searchRangeEnd ?? IFMR_DEFAULTS.searchRange[1]],
      searchStep: ifmr.searchStep ?? IFMR_DEFAULTS.searchStep,
    });
    if (v) {
      throw cfgError(def, 'CONFIG_INVALID', `${v.field} in ${where}.ifmr_quantize ${v.message}`, `${path}.ifmr_quantize[0].${v.field}[0]`, {
        hint: 'percentiles lie in (0.5, 1.0]; 0 < search_range_start < search_range_end; 0 < search_step <= end - start, with at most 10000 candidates ((end - start) / step + 1)',
      });
    }
  }
  const v = binsViolation(hfmg?.numOfBins ?? HFMG_DEFAULT_BINS);
  if (v) throw cfgError(def, 'CONFIG_INVALID', `num_of_bins in ${where}.hfmg_quantize ${v.message}`, `${path}.hfmg_quantize[0].num_of_bins[0]`, {
    hint: 'num_of_bins is the histogram size of HFMG: 1024, 2048, 4096 (the default) or 8192',
  });
}

function checkCalibration(def: ConfigDefinition, cal: CalibrationDefinition | undefined, path: string, owner: string): void {
  if (!cal) {
    throw cfgError(def, 'CONFIG_INVALID', `${owner} has no calibration_config`, path.replace(/\.calibration_config\[0\]$/, ''), {
      hint: 'add calibration_config { ... } with arq_quantize, ifmr_quantize or hfmg_quantize',
    });
  }
  checkActivation(def, path, cal.ifmrQuantize, cal.hfmgQuantize);
  checkBalancer(def, cal, path);
}

/** dmq_balancer { migration_strength } (SPEC §10): present and in [0.2, 0.8]. */
function checkBalancer(def: ConfigDefinition, cal: CalibrationDefinition, path: string): void {
  if (!cal.dmqBalancer) return;
  const alpha = cal.dmqBalancer.migrationStrength;
  const at = `${path}.dmq_balancer[0].migration_strength[0]`;
  const problem = alpha === undefined ? 'is missing' : migrationStrengthViolation(alpha);
  if (problem) {
    throw cfgError(def, 'CONFIG_INVALID', `migration_strength in ${displayPath(path)}.dmq_balancer ${problem}`, alpha === undefined ? `${path}.dmq_balancer[0]` : at, {
      hint: 'write dmq_balancer { migration_strength: 0.5 } with a value in [0.2, 0.8]',
    });
  }
}

/** Reports the second of two entries with the same key, naming the first one's line. */
function once(def: ConfigDefinition, seen: Map<string, string>, key: string, path: string, what: string): void {
  const first = seen.get(key);
  if (first !== undefined) {
    const line = cfgLine(def, first);
    throw cfgError(def, 'CONFIG_INVALID', `${what} is listed twice${line ? ` (first at line ${line})` : ''}`, path, {
      hint: 'merge the two entries into one',
    });
  }
  seen.set(key, path);
}

function checkLayerType(def: ConfigDefinition, type: string, path: string, field: string, allowTensorTypes: boolean): void {
  if (LAYER_TYPES.includes(type) || (allowTensorTypes && TENSOR_TYPES.includes(type))) return;
  if (TENSOR_TYPES.includes(type)) {
    throw cfgError(def, 'CONFIG_INVALID', `layer type ${type} in ${field} takes tensor quantization only`, path, {
      hint: 'configure MaxPool and Add inputs in tensor_quantize { layer_name, input_index }',
    });
  }
  throw cfgError(def, 'CONFIG_INVALID', `unknown layer type "${type}" in ${field}`, path, { hint: TYPES_HINT });
}

function checkOverrides(def: ConfigDefinition): void {
  const types = new Map<string, string>();
  def.overrideLayerTypes.forEach((o, i) => {
    const path = `override_layer_types[${i}]`;
    if (!o.layerType) throw cfgError(def, 'CONFIG_INVALID', `override_layer_types entry #${i + 1} has no layer_type`, path, { hint: TYPES_HINT });
    checkLayerType(def, o.layerType, `${path}.layer_type[0]`, 'override_layer_types', false);
    once(def, types, o.layerType, `${path}.layer_type[0]`, `layer type ${o.layerType} in override_layer_types`);
    checkCalibration(def, o.calibrationConfig, `${path}.calibration_config[0]`, `override_layer_types entry ${o.layerType}`);
  });
  const names = new Map<string, string>();
  def.overrideLayerConfigs.forEach((o, i) => {
    const path = `override_layer_configs[${i}]`;
    if (!o.layerName) throw cfgError(def, 'CONFIG_INVALID', `override_layer_configs entry #${i + 1} has no layer_name`, path, {
      hint: 'each override_layer_configs entry names its layer: layer_name: "conv1/Conv2D"',
    });
    once(def, names, o.layerName, `${path}.layer_name[0]`, `layer ${o.layerName} in override_layer_configs`);
    checkCalibration(def, o.calibrationConfig, `${path}.calibration_config[0]`, `override_layer_configs entry ${o.layerName}`);
  });
}

function checkTensorQuantize(def: ConfigDefinition): void {
  const seen = new Map<string, string>();
  def.tensorQuantize.forEach((t, i) => {
    const path = `tensor_quantize[${i}]`;
    if (!t.layerName) throw cfgError(def, 'CONFIG_INVALID', `tensor_quantize entry #${i + 1} has no layer_name`, path, {
      hint: 'each tensor_quantize entry names its layer and input: layer_name: "pool1/MaxPool" input_index: 0',
    });
    if (t.inputIndex < 0) {
      throw cfgError(def, 'CONFIG_INVALID', `tensor_quantize entry ${t.layerName} has no input_index`, path, {
        layer: t.layerName,
        hint: 'input_index says which input of the layer is quantized (0 for MaxPool, 0 or 1 for Add)',
      });
    }
    once(def, seen, `${t.layerName}:${t.inputIndex}`, `${path}.input_index[0]`, `input ${t.inputIndex} of ${t.layerName} in tensor_quantize`);
    checkActivation(def, path, t.ifmrQuantize, t.hfmgQuantize);
  });
}

/** Throws a ConfigError (CONFIG_INVALID, with line) for the first problem found. */
export function checkDefinition(def: ConfigDefinition): void {
  const batchProblem = def.batchNum !== undefined ? batchNumViolation(def.batchNum) : undefined;
  if (batchProblem) throw cfgError(def, 'CONFIG_INVALID', batchProblem, 'batch_num[0]', { hint: 'batch_num is how many calibration batches are run' });
  def.skipLayerTypes.forEach((t, i) => checkLayerType(def, t, `skip_layer_types[${i}]`, 'skip_layer_types', true));
  if (def.commonConfig) {
    checkActivation(def, 'common_config[0]', def.commonConfig.ifmrQuantize, def.commonConfig.hfmgQuantize);
    checkBalancer(def, def.commonConfig, 'common_config[0]');
  }
  checkOverrides(def);
  checkTensorQuantize(def);
}
