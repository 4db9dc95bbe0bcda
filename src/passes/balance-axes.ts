/**
 * Which weight axis reads which input channel, for the DMQ balancer (SPEC §10): the
 * factor s_c multiplies the weights on this axis. Conv2D HWIO → 2, depthwise HWCM → 2
 * (its scale axis too), Conv2DBackpropInput HWOI → 3 (the deconv's input is the forward
 * conv's output), Conv3D DHWIO → 3, MatMul / BatchMatMul weight [in, out] → 0.
 */
import type { LayerCandidate } from './layer-types';

const INPUT_AXIS: Readonly<Record<NonNullable<LayerCandidate['weightLayout']>, number>> = {
  HWIO: 2,
  HWCM: 2,
  HWOI: 3,
  DHWIO: 3,
  KN: 0,
};

export function weightInputAxis(layer: Pick<LayerCandidate, 'weightLayout'>): number | undefined {
  return layer.weightLayout === undefined ? undefined : INPUT_AXIS[layer.weightLayout];
}
