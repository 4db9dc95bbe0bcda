/** Fake layer candidates, as layer discovery would report them, for config tests. */
import { LayerCandidate, LayerKind } from '../../src/passes/layer-types';

function layer(name: string, op: string, kind: LayerKind, extra: Partial<LayerCandidate> = {}): LayerCandidate {
  const conv = ['conv2d', 'depthwise', 'deconv2d', 'conv3d'].includes(kind);
  const weighted = conv || kind === 'matmul' || kind === 'batchmatmul_weight';
  return {
    name,
    op,
    kind,
    quantizable: true,
    channelWiseAllowed: conv,
    dataInputs: kind === 'batchmatmul_act' || op.startsWith('Add') ? [0, 1] : [0],
    ...(weighted ? { weightInput: 1, weightConst: `${name}/weights`, weightChannelAxis: 3, outputChannels: 8 } : {}),
    ...extra,
  };
}

export const CONV = 'MobilenetV2/Conv/Conv2D';
export const DEPTHWISE = 'MobilenetV2/expanded_conv/depthwise/depthwise';
export const FUSED = 'model/conv_fused';
export const AVGPOOL = 'MobilenetV2/Logits/AvgPool';
export const MATMUL = 'MobilenetV2/Logits/MatMul';
export const BMM = 'attn/BatchMatMulV2';
export const ADD = 'block/add';
export const MAXPOOL = 'pool/MaxPool';
export const DYNAMIC = 'dyn/Conv2D';

export function fakeLayers(): LayerCandidate[] {
  return [
    layer(MATMUL, 'MatMul', 'matmul'),
    layer(CONV, 'Conv2D', 'conv2d'),
    layer(DEPTHWISE, 'DepthwiseConv2dNative', 'depthwise', { weightChannelAxis: 2 }),
    layer(FUSED, '_FusedConv2D', 'conv2d'),
    layer(AVGPOOL, 'AvgPool', 'avgpool'),
    layer(BMM, 'BatchMatMulV2', 'batchmatmul_act'),
    layer(ADD, 'AddV2', 'tensor'),
    layer(MAXPOOL, 'MaxPool', 'tensor'),
    layer(DYNAMIC, 'Conv2D', 'conv2d', {
      quantizable: false,
      reason: 'its filter comes from a Placeholder, not a Const',
      weightInput: undefined,
      weightConst: undefined,
    }),
  ];
}
