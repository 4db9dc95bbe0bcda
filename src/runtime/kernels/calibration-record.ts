/**
 * Writing the record (SPEC §5): after each successful run, a record file whose activation
 * nodes have ALL seen batch_num batches is written once, atomically. Until then nothing
 * is written, so an interrupted calibration leaves an old record untouched; after it,
 * nothing changes (the kernels stop accumulating, and the file is marked done).
 *
 * Once written, the record is this calibration's: the marker quantizeModel left beside
 * it is removed and in-process listeners are told (src/record/calibration-mark.ts). A
 * session disposed before batch_num batches warns that its record was never written.
 */
import { CalibrationError } from '../../errors';
import { attrString } from '../../ir';
import type { NodeDef } from '../../ir';
import { log } from '../../log';
import { CALIBRATION_ID_ATTR, clearMarker, notifyRecordWritten, readMarker, writeRecord } from '../../record';
import type { LayerRecord } from '../../record';
import type { Session } from '../session';
import { ActivationState, STATE_KEY, WeightState } from './calibration-state';
import { balancedLayerRecord } from './calibration-balance';
import { LayerStatistics } from '../statistics/accumulator';
import { planMoves, takeBack } from '../statistics/placement';

const ACTIVATION_OPS = new Set(['QuantIfmr', 'QuantHfmg']);

/** The session's calibration nodes by record_file (the attr is read without building state). */
interface RecordGroup {
  activations: NodeDef[];
  weights: NodeDef[];
}

const groupsBySession = new WeakMap<Session, Map<string, RecordGroup>>();

function groupsOf(session: Session): Map<string, RecordGroup> {
  let groups = groupsBySession.get(session);
  if (groups) return groups;
  groups = new Map();
  for (const node of session.graph.nodes()) {
    const isActivation = ACTIVATION_OPS.has(node.op);
    if (!isActivation && node.op !== 'QuantArq') continue;
    const file = attrString(node, 'record_file', '');
    const group = groups.get(file) ?? { activations: [], weights: [] };
    groups.set(file, group);
    (isActivation ? group.activations : group.weights).push(node);
  }
  groupsBySession.set(session, groups);
  return groups;
}

function stateOf<T>(session: Session, node: NodeDef): T | undefined {
  return session.nodeState(node.name)?.get(STATE_KEY) as T | undefined;
}

/** Nodes of a partly run graph: the user fetched something that does not need every layer. */
function warnIfUneven(session: Session, file: string, nodes: NodeDef[], states: (ActivationState | undefined)[]): void {
  const seen = states.map((s) => s?.accumulator.batchesSeen ?? 0);
  const most = Math.max(...seen);
  const behind = nodes.filter((_, i) => seen[i] < most).map((n) => n.name);
  if (behind.length === 0) return;
  log.once(`calibration-uneven:${session.id}:${file}`, 'warning',
    `calibration: ${behind.length} calibration node(s) ran fewer batches than others (${behind.slice(0, 3).join(', ')}${behind.length > 3 ? ', ...' : ''}); ` +
    `the record ${file} is written only when every node has seen batch_num batches, so fetch the model's outputs in each run`);
}

function weightRecords(session: Session, nodes: NodeDef[]): Map<string, WeightState> {
  const out = new Map<string, WeightState>();
  for (const node of nodes) {
    const s = stateOf<WeightState>(session, node);
    if (s) out.set(s.layer, s);
  }
  return out;
}

function layerRecord(state: ActivationState, weights: Map<string, WeightState>, weightLayers: Set<string>): LayerRecord {
  if (state.balance) {
    const record = balancedLayerRecord(state, weights.get(state.layer));
    if (state.skipFusion) record.skipFusion = true;
    return record;
  }
  const { scale, offset } = (state.accumulator as LayerStatistics).result();
  const record: LayerRecord = { scaleD: scale, offsetD: offset, scaleW: [], offsetW: [], shiftBit: [] };
  const w = weights.get(state.layer);
  if (w) {
    record.scaleW = Array.from(w.scaleW);
    record.offsetW = Array.from(w.offsetW);
  } else if (weightLayers.has(state.layer)) {
    throw new CalibrationError('CALIBRATION_INCOMPLETE', `the weight of layer ${state.layer} was never quantized during calibration`, {
      layer: state.layer,
      hint: 'run the whole calibration graph (fetch the model outputs) for batch_num batches',
    });
  }
  if (state.skipFusion) record.skipFusion = true;
  return record;
}

async function writeGroup(session: Session, file: string, group: RecordGroup): Promise<void> {
  const states = group.activations.map((n) => stateOf<ActivationState>(session, n));
  if (states.length === 0 || states.some((s) => s?.recorded)) return;
  if (!states.every((s) => s !== undefined && s.accumulator.batchesSeen >= s.batchNum)) {
    warnIfUneven(session, file, group.activations, states);
    return;
  }
  const done = states as ActivationState[];
  const weights = weightRecords(session, group.weights);
  const weightLayers = new Set(group.weights.map((n) => attrString(n, 'layer_name', '')));
  const records = new Map<string, LayerRecord>();
  for (const s of [...done].sort((a, b) => (a.layer < b.layer ? -1 : a.layer > b.layer ? 1 : 0))) {
    records.set(s.layer, layerRecord(s, weights, weightLayers));
  }
  const id = attrString(group.activations[0], CALIBRATION_ID_ATTR, '');
  const startedAt = id ? readMarker(file)?.startedAt : undefined;
  await writeRecord(file, records);
  for (const s of done) s.recorded = true;
  log.info(`calibration: wrote ${records.size} layer record(s) to ${file} after ${done[0].batchNum} batch(es)`);
  if (!id) return; // a graph calibrated without quantizeModel (insertCalibration by hand): no marker
  clearMarker(file, id);
  notifyRecordWritten(id, {
    recordFile: file,
    entries: records.size,
    batches: done[0].batchNum,
    startedAt: new Date(typeof startedAt === 'string' ? startedAt : Date.now()),
    writtenAt: new Date(),
  });
}

/**
 * onDispose hook: a session that calibrated some but fewer than batch_num batches never
 * wrote its record. Say so, since the file at the record path (if any) is not this
 * calibration's (saveModel refuses it while quantizeModel's marker is there).
 */
export function warnUnfinished(session: Session): void {
  for (const [file, group] of groupsOf(session)) {
    const states = group.activations.map((n) => stateOf<ActivationState>(session, n));
    if (states.length === 0 || states.some((s) => s?.recorded)) continue;
    const seen = states.map((s) => s?.accumulator.batchesSeen ?? 0);
    const most = Math.max(...seen);
    if (most === 0) continue; // never ran: nothing was calibrated, nothing to lose
    const batchNum = states.find((s) => s !== undefined)!.batchNum;
    log.warn(
      `calibration: the session was disposed after ${Math.min(...seen)} of batch_num = ${batchNum} batches; ` +
        `the record ${file} was not written. Run batch_num batches before dispose (or lower batch_num in the config)`,
    );
  }
}

/** The session's layers whose statistics may be on the statistics thread. */
function layerStatistics(session: Session): LayerStatistics[] {
  const all: LayerStatistics[] = [];
  for (const group of groupsOf(session).values()) {
    for (const n of group.activations) {
      const acc = stateOf<ActivationState>(session, n)?.accumulator;
      if (acc instanceof LayerStatistics) all.push(acc);
    }
  }
  return all;
}

/**
 * Waits until the statistics thread has taken this run's batches, so a rejected batch
 * fails the run that fed it and the counts below are final. Every layer is waited for
 * before the first error is thrown: nothing of this run is left in flight.
 */
async function settleStatistics(session: Session): Promise<void> {
  if (session.statisticsThread) planMoves();
  const layers = layerStatistics(session);
  const outcomes = await Promise.allSettled(layers.map((s) => s.settle()));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  if (session.statisticsThread) await takeBack(layers);
}

/** afterRun hook of QuantIfmr / QuantHfmg: every record file whose calibration is complete. */
export async function writeFinishedRecords(session: Session): Promise<void> {
  await settleStatistics(session);
  for (const [file, group] of groupsOf(session)) await writeGroup(session, file, group);
}

/** onDispose hook: frees the accumulators the statistics thread holds for this session. */
export function releaseStatistics(session: Session): void {
  for (const s of layerStatistics(session)) s.release();
}

/** Bytes the session's accumulators hold (for benchmarks and memory checks). */
export function calibrationMemoryBytes(session: Session): number {
  let total = 0;
  for (const group of groupsOf(session).values()) {
    for (const n of group.activations) total += stateOf<ActivationState>(session, n)?.accumulator.memoryBytes() ?? 0;
  }
  return total;
}
