/**
 * The simplified config (.cfg, AMCTConfig in protobuf text format, SPEC §4): parsed by
 * protobufjs's text-format parser, turned into camelCase, and checked for everything
 * that does not need the graph. Names of layers are checked later, against the graph,
 * by buildQuantConfig.
 */
import { ConfigError } from '../errors';
import { parseTextProto } from '../record/text-proto';
import { checkDefinition } from './cfg-check';
import { amctConfigType, RawAmctConfig, RawCalibration, RawHfmg, RawIfmr } from './cfg-schema';
import { CalibrationDefinition, ConfigDefinition, HfmgDefinition, IfmrDefinition } from './types';
import { readTextInput } from '../io/read';

/** Copies only the fields that were written, so "absent" stays distinguishable from a default. */
function present<T extends object>(pairs: [keyof T, unknown][]): T {
  const out = {} as T;
  for (const [k, v] of pairs) if (v !== undefined && v !== null) (out as Record<keyof T, unknown>)[k] = v;
  return out;
}

function toIfmr(r?: RawIfmr): IfmrDefinition | undefined {
  if (!r) return undefined;
  return present<IfmrDefinition>([
    ['searchRangeStart', r.search_range_start],
    ['searchRangeEnd', r.search_range_end],
    ['searchStep', r.search_step],
    ['maxPercentile', r.max_percentile],
    ['minPercentile', r.min_percentile],
    ['asymmetric', r.asymmetric],
  ]);
}

function toHfmg(r?: RawHfmg): HfmgDefinition | undefined {
  return r ? present<HfmgDefinition>([['numOfBins', r.num_of_bins], ['asymmetric', r.asymmetric]]) : undefined;
}

function toCalibration(r?: RawCalibration): CalibrationDefinition | undefined {
  if (!r) return undefined;
  return present<CalibrationDefinition>([
    ['arqQuantize', r.arq_quantize ? present<{ channelWise?: boolean }>([['channelWise', r.arq_quantize.channel_wise]]) : undefined],
    ['ifmrQuantize', toIfmr(r.ifmr_quantize)],
    ['hfmgQuantize', toHfmg(r.hfmg_quantize)],
    ['dmqBalancer', r.dmq_balancer ? present<{ migrationStrength?: number }>([['migrationStrength', r.dmq_balancer.migration_strength]]) : undefined],
  ]);
}

/** Missing required names become '' and are reported by checkDefinition with their line. */
function toDefinition(raw: RawAmctConfig): ConfigDefinition {
  return {
    ...present<Partial<ConfigDefinition>>([
      ['batchNum', raw.batch_num],
      ['activationOffset', raw.activation_offset],
      ['jointQuant', raw.joint_quant],
      ['doFusion', raw.do_fusion],
      ['commonConfig', toCalibration(raw.common_config)],
    ]),
    skipLayers: [...(raw.skip_layers ?? [])],
    skipLayerTypes: [...(raw.skip_layer_types ?? [])],
    skipFusionLayers: [...(raw.skip_fusion_layers ?? [])],
    overrideLayerTypes: (raw.override_layer_types ?? []).map((o) => ({
      layerType: o.layer_type ?? '',
      calibrationConfig: toCalibration(o.calibration_config)!,
    })),
    overrideLayerConfigs: (raw.override_layer_configs ?? []).map((o) => ({
      layerName: o.layer_name ?? '',
      calibrationConfig: toCalibration(o.calibration_config)!,
    })),
    tensorQuantize: (raw.tensor_quantize ?? []).map((t) => ({
      layerName: t.layer_name ?? '',
      inputIndex: t.input_index ?? -1,
      ...present<{ ifmrQuantize?: IfmrDefinition; hfmgQuantize?: HfmgDefinition }>([
        ['ifmrQuantize', toIfmr(t.ifmr_quantize)],
        ['hfmgQuantize', toHfmg(t.hfmg_quantize)],
      ]),
    })),
  };
}

/** Parses .cfg text; `file` only labels errors. */
export function parseConfigDefinition(text: string, file?: string): ConfigDefinition {
  const parsed = parseTextProto(amctConfigType(), text);
  if (!parsed.ok) {
    throw new ConfigError('CONFIG_PARSE_FAILED', `cannot parse the simplified config: ${parsed.error.message}`, {
      file,
      line: parsed.error.line,
      hint: 'write it in protobuf text format, e.g. `batch_num: 1` and `common_config { ifmr_quantize { search_step: 0.01 } }`',
    });
  }
  const definition = toDefinition(parsed.message as RawAmctConfig);
  definition.source = { file, text };
  checkDefinition(definition);
  return definition;
}

export async function readConfigDefinition(file: string): Promise<ConfigDefinition> {
  const text = await readTextInput(file, { what: 'simplified config', missingHint: 'check the configDefinition path', errorClass: ConfigError });
  return parseConfigDefinition(text, file);
}
