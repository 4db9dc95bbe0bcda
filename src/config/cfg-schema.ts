/**
 * Our proto schema of AMCT's simplified config, AMCTConfig (SPEC §4), as a protobufjs
 * JSON descriptor so it ships inside dist/. Field names are AMCT's; numbers are ours
 * (text format never shows them). Float fields parse to the decimal written, which
 * keeps 0.7 as 0.7 in the JSON config instead of float32's 0.699999988.
 */
import * as protobuf from 'protobufjs/light';

const ifmr = {
  search_range_start: { type: 'float', id: 1 },
  search_range_end: { type: 'float', id: 2 },
  search_step: { type: 'float', id: 3 },
  max_percentile: { type: 'float', id: 4 },
  min_percentile: { type: 'float', id: 5 },
  asymmetric: { type: 'bool', id: 6 },
};

const descriptor = {
  nested: {
    ARQuantize: { fields: { channel_wise: { type: 'bool', id: 1 } } },
    IFMRQuantize: { fields: ifmr },
    HFMGQuantize: { fields: { num_of_bins: { type: 'uint32', id: 1 }, asymmetric: { type: 'bool', id: 2 } } },
    DMQBalancer: { fields: { migration_strength: { type: 'float', id: 1 } } },
    CalibrationConfig: {
      fields: {
        arq_quantize: { type: 'ARQuantize', id: 1 },
        ifmr_quantize: { type: 'IFMRQuantize', id: 2 },
        hfmg_quantize: { type: 'HFMGQuantize', id: 3 },
        dmq_balancer: { type: 'DMQBalancer', id: 4 },
      },
    },
    OverrideLayerType: {
      fields: { layer_type: { type: 'string', id: 1 }, calibration_config: { type: 'CalibrationConfig', id: 2 } },
    },
    OverrideLayer: {
      fields: { layer_name: { type: 'string', id: 1 }, calibration_config: { type: 'CalibrationConfig', id: 2 } },
    },
    TensorQuantize: {
      fields: {
        layer_name: { type: 'string', id: 1 },
        input_index: { type: 'uint32', id: 2 },
        ifmr_quantize: { type: 'IFMRQuantize', id: 3 },
        hfmg_quantize: { type: 'HFMGQuantize', id: 4 },
      },
    },
    AMCTConfig: {
      fields: {
        batch_num: { type: 'uint32', id: 1 },
        activation_offset: { type: 'bool', id: 2 },
        joint_quant: { type: 'bool', id: 3 },
        skip_layers: { rule: 'repeated', type: 'string', id: 4 },
        skip_layer_types: { rule: 'repeated', type: 'string', id: 5 },
        do_fusion: { type: 'bool', id: 6 },
        skip_fusion_layers: { rule: 'repeated', type: 'string', id: 7 },
        common_config: { type: 'CalibrationConfig', id: 8 },
        override_layer_types: { rule: 'repeated', type: 'OverrideLayerType', id: 9 },
        override_layer_configs: { rule: 'repeated', type: 'OverrideLayer', id: 10 },
        tensor_quantize: { rule: 'repeated', type: 'TensorQuantize', id: 11 },
        // some AMCT versions write a version; accepted and ignored
        version: { type: 'int32', id: 12 },
      },
    },
  },
};

let cached: protobuf.Type | undefined;

export function amctConfigType(): protobuf.Type {
  cached ??= protobuf.Root.fromJSON(descriptor).lookupType('AMCTConfig');
  return cached;
}

// The parsed shapes, with proto field names.
export interface RawIfmr {
  search_range_start?: number;
  search_range_end?: number;
  search_step?: number;
  max_percentile?: number;
  min_percentile?: number;
  asymmetric?: boolean;
}
export interface RawHfmg {
  num_of_bins?: number;
  asymmetric?: boolean;
}
export interface RawCalibration {
  arq_quantize?: { channel_wise?: boolean };
  ifmr_quantize?: RawIfmr;
  hfmg_quantize?: RawHfmg;
  dmq_balancer?: { migration_strength?: number };
}
export interface RawAmctConfig {
  batch_num?: number;
  activation_offset?: boolean;
  joint_quant?: boolean;
  skip_layers?: string[];
  skip_layer_types?: string[];
  do_fusion?: boolean;
  skip_fusion_layers?: string[];
  common_config?: RawCalibration;
  override_layer_types?: { layer_type?: string; calibration_config?: RawCalibration }[];
  override_layer_configs?: { layer_name?: string; calibration_config?: RawCalibration }[];
  tensor_quantize?: { layer_name?: string; input_index?: number; ifmr_quantize?: RawIfmr; hfmg_quantize?: RawHfmg }[];
}
