/**
 * Node specs for the Ascend ops, with the attributes of their TensorFlow op definitions
 * (Huawei's simulation kernels): AscendQuant{T, quant_bits, scale, offset, dst_type},
 * AscendWeightQuant{T, dst_type}(x: int8, offset_w: int8), AscendDequant{T, ksize,
 * data_format}(x, deq_scale: uint64), AscendAntiQuant{T, scale, offset}.
 */
import { attr, DataType, NodeSpec } from '../../ir';

export const ASCEND_OPS = ['AscendQuant', 'AscendWeightQuant', 'AscendDequant', 'AscendAntiQuant'] as const;

export function ascendQuantSpec(name: string, scaleD: number, offsetD: number): NodeSpec {
  return {
    name,
    op: 'AscendQuant',
    attr: {
      T: attr.type(DataType.DT_FLOAT),
      dst_type: attr.str('INT8'),
      quant_bits: attr.int(8),
      // The op multiplies by `scale`: it holds 1/scale_d, as AMCT writes it.
      scale: attr.float(1 / scaleD),
      offset: attr.float(offsetD),
    },
  };
}

export function ascendWeightQuantSpec(name: string, weightInt8: string, offsetW: string): NodeSpec {
  return {
    name,
    op: 'AscendWeightQuant',
    inputs: [weightInt8, offsetW],
    attr: { T: attr.type(DataType.DT_FLOAT), dst_type: attr.str('INT8') },
  };
}

/**
 * The op knows two layouts: "NCHW" (channels on axis 1) and "NHWC" (channels last), so
 * the layer's own format is folded into one of them (NDHWC → NHWC, NCDHW → NCHW).
 */
export function ascendDequantSpec(name: string, deqScale: string, ksize: [number, number], dataFormat: string): NodeSpec {
  const format = dataFormat.startsWith('NC') ? 'NCHW' : 'NHWC';
  return {
    name,
    op: 'AscendDequant',
    inputs: [deqScale],
    attr: { T: attr.type(DataType.DT_FLOAT), ksize: attr.ints(ksize), data_format: attr.str(format) },
  };
}

export function ascendAntiQuantSpec(name: string, scaleD: number, offsetD: number): NodeSpec {
  return {
    name,
    op: 'AscendAntiQuant',
    attr: { T: attr.type(DataType.DT_FLOAT), scale: attr.float(scaleD), offset: attr.float(offsetD) },
  };
}

/** Cast of the int32 bias back to float, so a plain BiasAdd can add it. */
export function castToFloatSpec(name: string, input: string): NodeSpec {
  return {
    name,
    op: 'Cast',
    inputs: [input],
    attr: { SrcT: attr.type(DataType.DT_INT32), DstT: attr.type(DataType.DT_FLOAT), Truncate: attr.bool(false) },
  };
}
