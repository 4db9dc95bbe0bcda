/**
 * setDmqBalancerParam (ours): the DMQ balancer on chosen layers of an existing JSON config
 * (SPEC §10), written to a new file. What a search over balancer settings (e.g. the
 * accuracy-based auto-calibration trying the balancer on its most sensitive layers) or a
 * user tuning α per layer needs, without a graph: the config already lists every layer.
 */
import { formatQuantConfig } from '../config';
import type { LayerQuantConfig, QuantConfig } from '../config';
import { migrationStrengthViolation } from '../config/balancer';
import { HEADER_KEYS } from '../config/types';
import { ConfigError } from '../errors';
import { writeFileAtomic } from '../io';
import { readTextInput } from '../io/read';

function parseConfig(text: string, file: string): QuantConfig {
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as QuantConfig;
  } catch {
    // reported below
  }
  throw new ConfigError('CONFIG_INVALID', `${file} is not a JSON quantization config`, { file, hint: 'give a config written by createQuantConfig' });
}

function layerOf(config: QuantConfig, name: string, file: string): LayerQuantConfig {
  const layer = (HEADER_KEYS as readonly string[]).includes(name) ? undefined : (config[name] as LayerQuantConfig | undefined);
  if (!layer || typeof layer !== 'object') {
    throw new ConfigError('LAYER_NOT_FOUND', `Layer ${name} is not listed in the config ${file}`, { file, layer: name, field: 'dmq_balancer_param', hint: 'use the layer names the config lists' });
  }
  if (!layer.weight_quant_params) {
    throw new ConfigError('CONFIG_INVALID', `dmq_balancer_param of layer ${name}: the DMQ balancer moves range into a layer's weights, and this layer has none`, {
      file, layer: name, field: 'dmq_balancer_param', hint: 'choose layers that have weight_quant_params',
    });
  }
  return layer;
}

/**
 * Writes `outFile`: `configFile` with `dmq_balancer_param` = α on `layers` (α undefined
 * removes it). Other layers and fields are kept. The input is never overwritten.
 */
export async function setDmqBalancerParam(configFile: string, outFile: string, layers: string[], alpha: number | undefined): Promise<void> {
  const problem = alpha === undefined ? undefined : migrationStrengthViolation(alpha);
  if (problem) {
    throw new ConfigError('CONFIG_INVALID', `dmq_balancer_param ${problem}`, { field: 'dmq_balancer_param', hint: 'the migration strength α lies in [0.2, 0.8]' });
  }
  const text = await readTextInput(configFile, { what: 'quantization config', missingHint: 'create it with createQuantConfig first', errorClass: ConfigError });
  const config = parseConfig(text, configFile);
  for (const name of layers) {
    const layer = layerOf(config, name, configFile);
    if (alpha === undefined) delete layer.dmq_balancer_param;
    else layer.dmq_balancer_param = alpha;
  }
  await writeFileAtomic(outFile, formatQuantConfig(config), { inputs: [configFile] });
}
