/**
 * What layer discovery tells the rest of the SDK (config, quantizeModel, saveModel).
 * Shared vocabulary only: the op table and the discovery pass live beside this file.
 */

/** How a layer is quantized, which decides the nodes quantizeModel and saveModel emit. */
export type LayerKind =
  | 'conv2d' // Conv2D, _FusedConv2D
  | 'depthwise' // DepthwiseConv2dNative, FusedDepthwiseConv2dNative
  | 'deconv2d' // Conv2DBackpropInput
  | 'conv3d' // Conv3D
  | 'matmul' // MatMul, _FusedMatMul
  | 'batchmatmul_weight' // BatchMatMul(V2) whose second input is a constant 2-D weight
  | 'batchmatmul_act' // BatchMatMul(V2) with two activations
  | 'avgpool' // AvgPool
  | 'tensor'; // MaxPool, Add/AddV2: tensor quantization of an input only

export interface LayerCandidate {
  /** The layer's node name (the key in the config and the record). */
  name: string;
  /** Its op type, e.g. "Conv2D" or "_FusedConv2D". */
  op: string;
  kind: LayerKind;
  quantizable: boolean;
  /** Why it cannot be quantized, in words a user can act on (when !quantizable). */
  reason?: string;
  /** channel_wise may be set true (conv family only). */
  channelWiseAllowed: boolean;
  /** Data input positions (one, or two for batchmatmul_act). */
  dataInputs: number[];
  /** Weight input position, when the layer has a constant weight. */
  weightInput?: number;
  /** Name of the Const node holding the weight (after any Identity). */
  weightConst?: string;
  /** Axis of the weight that indexes output channels (for per-channel ARQ). */
  weightChannelAxis?: number;
  /** Number of output channels (length of per-channel scale_w). */
  outputChannels?: number;
  /**
   * Layout of the weight ('HWIO' Conv2D, 'HWCM' depthwise, 'HWOI' Conv2DBackpropInput,
   * 'DHWIO' Conv3D, 'KN' MatMul/BatchMatMul weight). Added for emitters.
   */
  weightLayout?: 'HWIO' | 'HWCM' | 'HWOI' | 'DHWIO' | 'KN';
  /**
   * Depthwise only: the channel multiplier M of the HWCM filter. scale_w has
   * `outputChannels` = C values (axis 2, SPEC §2), but the layer outputs C·M channels;
   * output channel c·M + m uses scale_w[c], so a per-channel deq_scale has C·M values
   * (each scale repeated M times). 1 for an ordinary depthwise conv.
   */
  channelMultiplier?: number;
}

/**
 * The record keys a layer's calibration produces: the layer name for layers with one
 * data input; `name:input_index` per input for tensor quantization (MaxPool/Add) and
 * for BatchMatMul with two activations (each input has its own scale_d).
 */
export function recordKeysOf(layer: Pick<LayerCandidate, 'name' | 'kind' | 'dataInputs'>): string[] {
  if (layer.kind === 'tensor' || layer.kind === 'batchmatmul_act') return layer.dataInputs.map((i) => `${layer.name}:${i}`);
  return [layer.name];
}

/** Kinds whose layer has a constant weight quantized by ARQ. */
export function hasWeights(kind: LayerKind): boolean {
  return kind !== 'avgpool' && kind !== 'tensor' && kind !== 'batchmatmul_act';
}
