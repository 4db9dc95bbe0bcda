/**
 * Session kernels for the calibration graph quantizeModel builds (SPEC §6, §7):
 *
 * - QuantIfmr / QuantHfmg: pass-through on a layer's data input. Each run feeds the
 *   batch into the node's streaming accumulator (bounded memory: nothing of the batch is
 *   kept), until batch_num batches; later batches only pass through (logged once).
 * - QuantArq: the layer's weight quantized with ARQ scales and dequantized, computed once.
 * - After each successful run, a record file whose activation nodes have all seen
 *   batch_num batches is written once, atomically (calibration-record.ts).
 *
 * Registered when this module loads; runtime/index.ts imports it, so every Session made
 * after `import 'amct-ts'` can run a calibration graph. Bad data (NaN, Inf, empty) throws
 * a CalibrationError naming the layer, which reaches the caller of session.run unchanged.
 */
import type { BalancedActivationAccumulator } from '../../calib';
import { CalibrationError } from '../../errors';
import { log } from '../../log';
import { registerKernel } from '../kernels';
import type { KernelContext } from '../kernels';
import type { Session } from '../session';
import type { tf } from '../tfjs';
import { arqKernel } from './calibration-arq';
import { readActivation, shareTensor } from './calibration-read';
import { releaseStatistics, warnUnfinished, writeFinishedRecords } from './calibration-record';
import { MIN_THREAD_VALUES } from '../statistics/accumulator';
import type { LayerStatistics } from '../statistics/accumulator';
import { markRunStart } from '../statistics/placement';
import { statisticsThreadsReady } from '../statistics/pool';
import { activationState } from './calibration-state';

function activationKernel(ctx: KernelContext): tf.Tensor {
  const x = ctx.inputs[0];
  const s = activationState(ctx.node, ctx.state, ctx.session.statisticsThread);
  if (s.accumulator.batchesSeen >= s.batchNum) {
    log.once(`calibration-extra:${ctx.session.id}:${s.recordFile}`, 'warning',
      `calibration: batch_num = ${s.batchNum} batches were already seen; further batches pass through and do not change ${s.recordFile}`);
    return shareTensor(x);
  }
  if (x.dtype !== 'float32') {
    throw new CalibrationError('CALIBRATION_DATA_INVALID', `the input of layer ${s.layer} is ${x.dtype}; only float32 activations can be calibrated`, {
      layer: s.layer,
      node: ctx.node.name,
      hint: 'add the layer to skip layers',
    });
  }
  if (s.balance) (s.accumulator as BalancedActivationAccumulator).add(readActivation(x), x.shape, s.balance.channelAxis);
  else (s.accumulator as LayerStatistics).add(readActivation(x));
  return shareTensor(x);
}

// One hook per session is enough; both activation ops share the record groups.
function onDispose(session: Session): void {
  warnUnfinished(session);
  releaseStatistics(session);
}

/**
 * The statistics threads must be running and warm before the first batch: each layer's
 * place (thread or main) is decided at its first batch by the threads' backlog, and a
 * thread still starting would look busy (statistics/pool.ts). Resolves at once later.
 * A run fed fewer values than a layer needs to go to a thread (a tiny net, one small
 * image) does not wait here; if one of its layers is large after all, that layer starts
 * the thread at its first batch, as before.
 */
async function beforeRun(session: Session, _nodes: unknown, fedValues: number): Promise<void> {
  if (!session.statisticsThread) return;
  if (fedValues >= MIN_THREAD_VALUES) await statisticsThreadsReady();
  markRunStart();
}

registerKernel('QuantIfmr', activationKernel, { beforeRun, afterRun: writeFinishedRecords, onDispose });
registerKernel('QuantHfmg', activationKernel, { beforeRun, afterRun: writeFinishedRecords, onDispose });
registerKernel('QuantArq', arqKernel);

export { calibrationMemoryBytes } from './calibration-record';
