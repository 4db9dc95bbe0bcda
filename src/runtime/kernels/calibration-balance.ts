/**
 * The record of a DMQ-balanced layer (SPEC §10), once every batch was seen: the factors
 * s_c = max|x_c|^α / max|w_c|^(1−α) from the activation's per-channel maxima and the
 * weight's, scale_d/offset_d of the balanced input x_c/s_c, and ARQ scale_w of the
 * balanced weight w_c·s_c. Pure arithmetic on the states the kernels kept.
 */
import { arq, balanceFactors, BalancedActivationAccumulator, inputChannelMax, scaleInputChannels } from '../../calib';
import { CalibrationError } from '../../errors';
import type { LayerRecord } from '../../record';
import type { ActivationState, WeightState } from './calibration-state';

export function balancedLayerRecord(state: ActivationState, weight: WeightState | undefined): LayerRecord {
  const acc = state.accumulator as BalancedActivationAccumulator;
  const b = weight?.balance;
  if (!state.balance || !b) {
    throw new CalibrationError('CALIBRATION_INCOMPLETE', `the weight of balanced layer ${state.layer} was never read during calibration`, {
      layer: state.layer,
      field: 'dmq_balancer_param',
      hint: 'run the whole calibration graph (fetch the model outputs) for batch_num batches',
    });
  }
  const s = balanceFactors(acc.channelMax(), inputChannelMax(b.weight, b.shape, b.inputAxis), state.balance.alpha, state.layer);
  const { scale, offset } = acc.result(s);
  const w = arq(scaleInputChannels(b.weight, b.shape, b.inputAxis, s), b.shape, b.channelAxis, b.numBits, state.layer);
  return {
    scaleD: scale,
    offsetD: offset,
    scaleW: Array.from(w.scale),
    offsetW: Array.from(w.offset),
    shiftBit: [],
    tensorBalanceFactor: Array.from(s),
  };
}
