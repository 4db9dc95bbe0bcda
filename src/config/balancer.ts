/**
 * The DMQ balancer's config rules (SPEC §10), shared by the JSON config and the .cfg:
 * migration strength α is a number in [0.2, 0.8], and only layers with weights can move
 * range into their weights.
 */
import { MIGRATION_STRENGTH_RANGE } from '../calib/balance';
import type { LayerCandidate } from '../passes/layer-types';
import { hasWeights } from './ops';

const [MIN, MAX] = MIGRATION_STRENGTH_RANGE;

/** What is wrong with α, in words, or undefined when it is fine. */
export function migrationStrengthViolation(alpha: unknown): string | undefined {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) return `must be a number in [${MIN}, ${MAX}], got ${JSON.stringify(alpha)}`;
  if (alpha < MIN || alpha > MAX) return `must be in [${MIN}, ${MAX}], got ${alpha}`;
  return undefined;
}

/** Why a layer cannot take the balancer, or undefined when it can. */
export function balancerLayerProblem(c: Pick<LayerCandidate, 'name' | 'op' | 'kind'>): string | undefined {
  if (hasWeights(c.kind)) return undefined;
  return `the DMQ balancer moves range into a layer's weights, and layer ${c.name} (${c.op}) has none`;
}

export const BALANCER_LAYER_HINT = 'set dmq_balancer_param only on Conv2D, DepthwiseConv2dNative, Conv2DBackpropInput, Conv3D, MatMul or BatchMatMul with a constant weight';
