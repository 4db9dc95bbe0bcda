/**
 * quantizeModel (SPEC §1, §6): AMCT's quantize_model. Turns the user's graph, IN PLACE,
 * into the calibration graph: the same preparation createQuantConfig saw (tfjs ops split,
 * BN/Mul/Add folded), then a QuantIfmr/QuantHfmg node on each enabled layer's data input
 * and a QuantArq node on its weight. Running the graph batch_num times in a Session then
 * writes the record (src/runtime/kernels/calibration.ts).
 *
 * Everything that can fail on user input (the config, its layer names, the paths) is
 * checked on a clone first, so a failure leaves the user's graph exactly as it was.
 *
 * A stale record never passes for this calibration: quantizeModel marks the calibration
 * it starts beside the record (src/record/calibration-mark.ts), the kernels clear the
 * mark when they write the record, and saveModel refuses a record while it is there.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseQuantConfig } from '../config';
import type { LoadedQuantConfig } from '../config';
import { ConfigError, GraphError } from '../errors';
import { attr, Graph, parseTensorName, formatTensorName } from '../ir';
import { assertWritableTarget } from '../io';
import { log } from '../log';
import { findLayers, findQuantizationNodes, insertCalibration, prepareGraph } from '../passes';
import type { PrepareReport } from '../passes';
import { CALIBRATION_ID_ATTR, newCalibrationId, onRecordWritten, writeMarker } from '../record';
import type { RecordWrittenEvent } from '../record';
// Registers the calibration kernels, so a Session over the returned graph can run it.
import '../runtime/kernels/calibration';
import { readConfigHeader } from './config-header';

export interface QuantizeModelOptions {
  /**
   * Output tensor names the caller will fetch during calibration (AMCT's calib_outputs).
   * Their names after the graph's preparation come back in `calibOutputs`.
   */
  calibOutputs?: string[];
  /** Called once, in this process, when the calibration has written the record (also `result.recordWritten`). */
  onRecordWritten?: (event: RecordWrittenEvent) => void;
}

export interface QuantizeModelResult {
  /** The nodes inserted: record key → activation node, layer → QuantArq node. */
  inserted: {
    activation: Map<string, string>;
    weight: Map<string, string>;
  };
  /** Tensor names whose value moved during preparation (e.g. a fetched BN folded away) → new name. */
  changedOutputs: Record<string, string>;
  /** `options.calibOutputs` in the same order, renamed where `changedOutputs` says so. */
  calibOutputs: string[];
  /** The record file the calibration nodes will write (absolute). */
  recordFile: string;
  /** Record keys that will be written (every enabled layer and tensor_quantize entry), sorted. */
  recordKeys: string[];
  /** Identifies this calibration: the id in `<recordFile>.calibrating` and on the calibration nodes. */
  calibrationId: string;
  /** When this calibration started; saveModel refuses a record that this calibration did not write. */
  startedAt: Date;
  /**
   * Resolves when a Session running the returned graph has written the record (after
   * batch_num batches). Never rejects: it stays pending while the calibration is incomplete.
   */
  recordWritten: Promise<RecordWrittenEvent>;
}

function checkArguments(graph: unknown, configFile: unknown, recordFile: unknown, options: unknown): asserts options is QuantizeModelOptions {
  if (!(graph instanceof Graph)) {
    throw new ConfigError('INVALID_ARGUMENT', 'quantizeModel needs a Graph', { hint: 'load one with loadGraph(path)' });
  }
  for (const [what, v] of [['config file', configFile], ['record file', recordFile]] as const) {
    if (typeof v !== 'string' || v.length === 0) throw new ConfigError('INVALID_ARGUMENT', `quantizeModel needs the path of the ${what}`, { hint: `pass the ${what} path as a non-empty string` });
  }
  const callback = (options as QuantizeModelOptions | undefined)?.onRecordWritten;
  if (callback !== undefined && typeof callback !== 'function') throw new ConfigError('INVALID_ARGUMENT', 'onRecordWritten must be a function', { hint: 'pass (event) => { ... }, or await result.recordWritten instead' });
  const outputs = (options as QuantizeModelOptions | undefined)?.calibOutputs;
  if (outputs !== undefined && (!Array.isArray(outputs) || !outputs.every((o) => typeof o === 'string'))) {
    throw new ConfigError('INVALID_ARGUMENT', 'calibOutputs must be an array of tensor names', { hint: 'e.g. ["MobilenetV2/Predictions/Reshape_1"]' });
  }
}

function refuseQuantized(graph: Graph): void {
  const found = findQuantizationNodes(graph);
  if (found.length === 0) return;
  throw new GraphError('MODEL_ALREADY_QUANTIZED', `the graph already holds ${found[0].op} node ${found[0].name}: it was quantized before`, {
    node: found[0].name,
    hint: 'quantizeModel edits the graph in place; load the original model again with loadGraph',
  });
}

function checkOutputsExist(graph: Graph, outputs: readonly string[]): void {
  for (const name of outputs) {
    const node = parseTensorName(name).node;
    if (!graph.has(node)) {
      throw new GraphError('NODE_NOT_FOUND', `calib output ${name} does not exist in the graph`, {
        node,
        hint: 'calibOutputs are tensor names of the loaded graph, e.g. "logits" or "logits:0"',
      });
    }
  }
}

/** The record is an output: it must not replace the model, the config or another input. */
function resolveRecordFile(graph: Graph, configFile: string, recordFile: string): string {
  const abs = path.resolve(recordFile);
  assertWritableTarget(abs, [path.resolve(configFile), ...(graph.meta.sourceFiles ?? [])]);
  return abs;
}

/** prepareGraph → findLayers → full config validation, on `graph` (a clone or the user's). */
function prepareAndLoad(graph: Graph, text: string, configFile: string, doFusion: boolean, skipFusionLayers: string[]) {
  const report = prepareGraph(graph, { doFusion, skipFusionLayers });
  const layers = findLayers(graph);
  const config: LoadedQuantConfig = parseQuantConfig(text, layers, configFile);
  return { report, layers, config };
}

function renamed(report: PrepareReport, outputs: readonly string[]): { changed: Record<string, string>; calib: string[] } {
  const changed = Object.fromEntries(report.renamedOutputs);
  const calib = outputs.map((name) => {
    const ref = parseTensorName(name);
    const moved = report.renamedOutputs.get(formatTensorName(ref)) ?? (ref.index === 0 ? report.renamedOutputs.get(ref.node) : undefined);
    return moved ?? name;
  });
  return { changed, calib };
}

/** Marks the calibration beside the record (its folder is made if missing: the record goes there). */
async function startCalibration(record: string, batchNum: number, recordKeys: string[], options: QuantizeModelOptions) {
  const id = newCalibrationId();
  const startedAt = new Date();
  await fs.promises.mkdir(path.dirname(record), { recursive: true });
  await writeMarker(record, { id, startedAt: startedAt.toISOString(), batchNum, recordKeys });
  const recordWritten = new Promise<RecordWrittenEvent>((resolve) => onRecordWritten(id, resolve));
  if (options.onRecordWritten) onRecordWritten(id, options.onRecordWritten);
  return { id, startedAt, recordWritten };
}

/** The id travels with the graph into any Session, so the kernels know which calibration they finish. */
function stampCalibrationId(graph: Graph, nodes: Iterable<string>, id: string): void {
  for (const name of nodes) graph.getNode(name).attr[CALIBRATION_ID_ATTR] = attr.str(id);
}

export async function quantizeModel(graph: Graph, configFile: string, recordFile: string, options: QuantizeModelOptions = {}): Promise<QuantizeModelResult> {
  checkArguments(graph, configFile, recordFile, options);
  refuseQuantized(graph);
  checkOutputsExist(graph, options.calibOutputs ?? []);
  const record = resolveRecordFile(graph, configFile, recordFile);
  const { text, doFusion, skipFusionLayers } = await readConfigHeader(configFile);
  const trial = graph.clone();
  const checked = prepareAndLoad(trial, text, configFile, doFusion, skipFusionLayers); // throws before any edit
  const settings = { recordFile: record, batchNum: checked.config.batchNum, skipFusionLayers: new Set(checked.config.skipFusionLayers) };
  const keys = [...insertCalibration(trial, checked.layers, checked.config.resolved, checked.config.tensorQuantize, settings).activationNodes.keys()].sort();
  const calibration = await startCalibration(record, checked.config.batchNum, keys, options);
  const { report, layers, config } = prepareAndLoad(graph, text, configFile, doFusion, skipFusionLayers);
  const inserted = insertCalibration(graph, layers, config.resolved, config.tensorQuantize, settings);
  stampCalibrationId(graph, [...inserted.activationNodes.values(), ...inserted.weightNodes.values()], calibration.id);
  const { changed, calib } = renamed(report, options.calibOutputs ?? []);
  // Without calibOutputs the caller may still fetch the old name, which no longer exists.
  const tell = options.calibOutputs ? log.info : log.warn;
  for (const [from, to] of Object.entries(changed)) tell(`quantizeModel: output ${from} is now ${to} (its node was fused); fetch ${to} during calibration`);
  log.info(`quantizeModel: ${inserted.activationNodes.size} activation and ${inserted.weightNodes.size} weight calibration nodes; record ${record} after ${config.batchNum} batch(es)`);
  return {
    inserted: { activation: inserted.activationNodes, weight: inserted.weightNodes },
    changedOutputs: changed,
    calibOutputs: calib,
    recordFile: record,
    recordKeys: [...inserted.activationNodes.keys()].sort(),
    calibrationId: calibration.id,
    startedAt: calibration.startedAt,
    recordWritten: calibration.recordWritten,
  };
}
